"""The parameters of a disease profile: what each means, its type, and its checks.

The registry below is the one description of every parameter: the rule
engine reads its values through :class:`RuleParameters` (built from a
profile's ``parameters`` and validated), and the profile editing screens
build one form field per parameter from the same specs, so a value the
engine would refuse can never be saved.

A parameter the engine reads must be present in every profile; ``None`` is
allowed only where the spec says what it means (an option the guidance does
not offer, an end that no date decides). A missing or mistyped parameter is
a :class:`ProfileError` naming the profile and the parameter, never a silent
default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from epitrace.diseases.models import DiseaseProfile

Kind = Literal["days", "hours", "count", "bool", "test_classes", "classification_map", "text"]

# Test classes and case classifications, as stored (diseases.models.TestClass,
# cases.choices.Classification); repeated here so the engine stays free of Django.
TEST_CLASSES = ("pcr", "antigen", "serology", "other")
CLASSIFICATIONS = ("confirmed", "probable", "suspect")


class ProfileError(ValueError):
    """A profile lacks a parameter the rules need, or holds a value they cannot use."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: how it is named, typed, bounded and explained."""

    name: str
    kind: Kind
    label: str
    help: str
    section: str
    nullable: bool = False
    null_means: str = ""
    minimum: int = 0
    maximum: int | None = None
    engine: bool = True  # read by the rule engine, so required in every profile

    def check(self, value: Any) -> Any:
        """``value`` as the engine uses it, or ValueError saying what is wrong."""
        if value is None:
            if self.nullable:
                return None
            raise ValueError("a value is required")
        if self.kind in ("days", "hours", "count"):
            return self._number(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        if self.kind == "test_classes":
            return _test_classes(value)
        if self.kind == "classification_map":
            return _classification_map(value)
        if not isinstance(value, str):
            raise ValueError("must be text")
        return value

    def _number(self, value: Any) -> int:
        # bool is an int in Python; a checkbox value here is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if value < self.minimum:
            raise ValueError(f"must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be at most {self.maximum}")
        return value


def _test_classes(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise ValueError("must list at least one test class")
    unknown = [item for item in value if item not in TEST_CLASSES]
    if unknown:
        raise ValueError(f"unknown test class {unknown[0]!r} (known: {', '.join(TEST_CLASSES)})")
    return tuple(dict.fromkeys(value))


def _classification_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError("must map test classes to classifications")
    for test_class, classification in value.items():
        if test_class not in TEST_CLASSES:
            raise ValueError(f"unknown test class {test_class!r}")
        if classification not in CLASSIFICATIONS:
            raise ValueError(
                f"unknown classification {classification!r} for {test_class} "
                f"(known: {', '.join(CLASSIFICATIONS)})"
            )
    return dict(value)


INFECTIOUS = "Infectious period"
CONTACTS = "Quarantine and monitoring of contacts"
REDUCED = "Shorter quarantine options (CDC, December 2020)"
ISOLATION = "Isolation and release of cases"
REPORTING = "Daily reports, reminders and closing"
CASES = "Cases and tests"
CONTACT_DEFINITION = "Close contact definition"

SPECS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "infectious_days_before_onset",
        "days",
        "Infectious from, days before onset",
        "Day 0 is the symptom onset (rash onset for measles).",
        INFECTIOUS,
        maximum=60,
    ),
    ParamSpec(
        "infectious_days_before_specimen",
        "days",
        "Infectious from, days before specimen (no onset)",
        "Used when the case has no symptom onset: day 0 is the specimen collection date.",
        INFECTIOUS,
        maximum=60,
    ),
    ParamSpec(
        "infectious_days_after_onset",
        "days",
        "Infectious until, days after onset",
        "Last infectious day counted from the onset.",
        INFECTIOUS,
        nullable=True,
        null_means="infectious until isolation ends",
        maximum=120,
    ),
    ParamSpec(
        "quarantine_days",
        "days",
        "Quarantine, days after last exposure",
        "Day 0 is the last exposure; the quarantine's last day is day N. 0: no quarantine.",
        CONTACTS,
        maximum=120,
    ),
    ParamSpec(
        "monitoring_period_days",
        "days",
        "Symptom monitoring, days after last exposure",
        "Day 0 is the last exposure (or the enrolment when it is unknown); "
        "day N is the last monitored day, and the record may close that day.",
        CONTACTS,
        minimum=1,
        maximum=365,
    ),
    ParamSpec(
        "household_ongoing_counts_from_isolation_end",
        "bool",
        "Ongoing household exposure counts from the case's isolation end",
        "A contact who keeps living with the case is exposed until the case's isolation ends.",
        CONTACTS,
    ),
    ParamSpec(
        "reduced_quarantine_days",
        "days",
        "Option without test: quarantine may end on day",
        "Needs no symptomatic report and a report between this day and the next setting.",
        REDUCED,
        nullable=True,
        null_means="option not offered",
        minimum=1,
        maximum=120,
    ),
    ParamSpec(
        "reduced_quarantine_report_until_day",
        "days",
        "Option without test: last day of the report window",
        "A report dated from the option's day to this day (after the last exposure) qualifies.",
        REDUCED,
        nullable=True,
        null_means="option not offered",
        minimum=1,
        maximum=120,
    ),
    ParamSpec(
        "reduced_quarantine_tested_days",
        "days",
        "Option with negative test: quarantine may end on day",
        "Needs no symptomatic report, a report in the window and a negative test.",
        REDUCED,
        nullable=True,
        null_means="option not offered",
        minimum=1,
        maximum=120,
    ),
    ParamSpec(
        "reduced_quarantine_tested_report_until_day",
        "days",
        "Option with negative test: last day of the report and test window",
        "Reports from the option's day, and negative specimens from the next setting's day, "
        "up to this day qualify.",
        REDUCED,
        nullable=True,
        null_means="option not offered",
        minimum=1,
        maximum=120,
    ),
    ParamSpec(
        "reduced_quarantine_test_from_day",
        "days",
        "Option with negative test: specimen collected from day",
        "The negative specimen must be collected on this day after the last exposure or later.",
        REDUCED,
        nullable=True,
        null_means="option not offered",
        maximum=120,
    ),
    ParamSpec(
        "reduced_quarantine_test_classes",
        "test_classes",
        "Option with negative test: tests that count",
        "Test classes whose negative result qualifies, e.g. pcr, antigen.",
        REDUCED,
        nullable=True,
        null_means="option not offered",
    ),
    ParamSpec(
        "isolation_days_after_onset",
        "days",
        "Isolation, days after onset",
        "Day 0 is the onset; the case may be released from day N (with the fever rule).",
        ISOLATION,
        nullable=True,
        null_means="no date ends isolation (clinical release)",
        maximum=120,
    ),
    ParamSpec(
        "isolation_days_after_specimen_asymptomatic",
        "days",
        "Isolation without symptoms, days after first positive specimen",
        "Day 0 is the collection date of the first positive specimen.",
        ISOLATION,
        nullable=True,
        null_means="no date ends isolation without symptoms",
        maximum=120,
    ),
    ParamSpec(
        "isolation_fever_free_hours",
        "hours",
        "Release needs this many hours without fever",
        "No fever nor fever-reducing medicine reported within these hours.",
        ISOLATION,
        nullable=True,
        null_means="no fever criterion",
        maximum=720,
    ),
    ParamSpec(
        "recovery_negative_tests_required",
        "count",
        "Test-based release: negative tests required",
        "At least one report and this many negative tests release the case.",
        ISOLATION,
        nullable=True,
        null_means="no test-based release",
        minimum=1,
        maximum=10,
    ),
    ParamSpec(
        "recovery_negative_tests_hours_apart",
        "hours",
        "Test-based release: hours between the negative specimens",
        "Counted on specimen dates (24 hours = on different days).",
        ISOLATION,
        nullable=True,
        null_means="any spacing",
        maximum=720,
    ),
    ParamSpec(
        "close_after_extended_isolation_days",
        "days",
        "Inactive case closes this many days after its extended isolation date",
        "An isolation record with an extended isolation date closes for inactivity only "
        "this many days after that date.",
        REPORTING,
        maximum=60,
    ),
    ParamSpec(
        "non_reporting_interval_hours",
        "hours",
        "Non-reporting after, hours without a report",
        "A monitoree without a report for this long is non-reporting.",
        REPORTING,
        minimum=1,
        maximum=720,
    ),
    ParamSpec(
        "reminder_interval_hours",
        "hours",
        "Hours between two reminders",
        "No reminder is sent again before this many hours have passed.",
        REPORTING,
        maximum=168,
    ),
    ParamSpec(
        "reminder_days_after_monitoring",
        "days",
        "Reminders continue this many days after the monitoring period",
        "Lets a contact report on the day after the period's last day.",
        REPORTING,
        maximum=30,
    ),
    ParamSpec(
        "close_inactive_days",
        "days",
        "Close a non-reporting record after this many days without change",
        "A record nobody changed for this long closes (a contact only after its period).",
        REPORTING,
        nullable=True,
        null_means="never closed for inactivity",
        minimum=1,
        maximum=365,
    ),
    ParamSpec(
        "reinfection_interval_days",
        "days",
        "Reinfection interval, days",
        "A positive result this long after the first opens a new case.",
        CASES,
        nullable=True,
        null_means="a new positive never opens a new case",
        minimum=1,
        maximum=3650,
        engine=False,
    ),
    ParamSpec(
        "incubation_period_days",
        "days",
        "Incubation period, days",
        "Also the window in which two cases of one setting form a potential cluster.",
        CASES,
        minimum=1,
        maximum=365,
        engine=False,
    ),
    ParamSpec(
        "positive_test_classification",
        "classification_map",
        "Classification by positive test",
        'One "test class = classification" per line, e.g. "pcr = confirmed".',
        CASES,
        engine=False,
    ),
    ParamSpec(
        "onset_event",
        "text",
        "Onset event",
        "What day 0 of the onset is, when it is not the first symptom (e.g. rash).",
        CASES,
        engine=False,
    ),
    ParamSpec(
        "isolation_until_lesions_healed",
        "bool",
        "Isolation lasts until the lesions have healed",
        "A clinical criterion: release is decided by staff, not by a date.",
        ISOLATION,
        engine=False,
    ),
    ParamSpec(
        "isolation_requires_symptoms_improving",
        "bool",
        "Release needs symptoms improving",
        "Checked by staff on the release call.",
        ISOLATION,
        engine=False,
    ),
    ParamSpec(
        "close_contact_distance_feet",
        "count",
        "Close contact: within feet",
        "",
        CONTACT_DEFINITION,
        minimum=1,
        maximum=100,
        engine=False,
    ),
    ParamSpec(
        "close_contact_minutes",
        "count",
        "Close contact: for minutes (cumulative)",
        "",
        CONTACT_DEFINITION,
        minimum=1,
        maximum=1440,
        engine=False,
    ),
    ParamSpec(
        "close_contact_window_hours",
        "hours",
        "Close contact: within hours",
        "",
        CONTACT_DEFINITION,
        minimum=1,
        maximum=168,
        engine=False,
    ),
)

SPEC_BY_NAME: dict[str, ParamSpec] = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True)
class RuleParameters:
    """The values the rule engine reads, checked; built once per profile version."""

    profile_key: str
    infectious_days_before_onset: int
    infectious_days_before_specimen: int
    infectious_days_after_onset: int | None
    quarantine_days: int
    monitoring_period_days: int
    household_ongoing_counts_from_isolation_end: bool
    reduced_quarantine_days: int | None
    reduced_quarantine_report_until_day: int | None
    reduced_quarantine_tested_days: int | None
    reduced_quarantine_tested_report_until_day: int | None
    reduced_quarantine_test_from_day: int | None
    reduced_quarantine_test_classes: tuple[str, ...] | None
    isolation_days_after_onset: int | None
    isolation_days_after_specimen_asymptomatic: int | None
    isolation_fever_free_hours: int | None
    recovery_negative_tests_required: int | None
    recovery_negative_tests_hours_apart: int | None
    close_after_extended_isolation_days: int
    non_reporting_interval_hours: int
    reminder_interval_hours: int
    reminder_days_after_monitoring: int
    close_inactive_days: int | None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, key: str = "") -> RuleParameters:
        """Check every engine parameter of ``values``; ProfileError names the first bad one."""
        params = cls.each_checked(values, key=key)
        if problem := params.inconsistency():
            name, why = problem
            raise ProfileError(f"disease profile {key or '(unsaved)'}: parameter {name!r}: {why}")
        return params

    @classmethod
    def each_checked(cls, values: Mapping[str, Any], *, key: str = "") -> RuleParameters:
        """Each value checked on its own; :meth:`inconsistency` then checks them together."""
        checked: dict[str, Any] = {"profile_key": key}
        for name in ENGINE_PARAMETERS:
            if name not in values:
                raise ProfileError(
                    f"disease profile {key or '(unsaved)'} has no parameter {name!r}"
                )
            try:
                checked[name] = SPEC_BY_NAME[name].check(values[name])
            except ValueError as exc:
                raise ProfileError(
                    f"disease profile {key or '(unsaved)'}: parameter {name!r} {exc}"
                ) from None
        return cls(**checked)

    def inconsistency(self) -> tuple[str, str] | None:
        """(parameter, why) when two values contradict each other, else None."""
        untested = self.reduced_quarantine_days
        until = self.reduced_quarantine_report_until_day
        if untested is not None:
            if until is None:
                return "reduced_quarantine_report_until_day", "the option without test needs it"
            if until < untested:
                return (
                    "reduced_quarantine_report_until_day",
                    f"the report window must not end before day {untested}",
                )
        tested = self.reduced_quarantine_tested_days
        if tested is None:
            return None
        until = self.reduced_quarantine_tested_report_until_day
        test_from = self.reduced_quarantine_test_from_day
        needs = "the option with negative test needs it"
        if until is None:
            return "reduced_quarantine_tested_report_until_day", needs
        if test_from is None:
            return "reduced_quarantine_test_from_day", needs
        if not self.reduced_quarantine_test_classes:
            return "reduced_quarantine_test_classes", needs
        if until < tested:
            return (
                "reduced_quarantine_tested_report_until_day",
                f"the window must not end before day {tested}",
            )
        if test_from > until:
            return "reduced_quarantine_test_from_day", f"must not be after day {until}"
        return None


ENGINE_PARAMETERS: tuple[str, ...] = tuple(
    f.name for f in fields(RuleParameters) if f.name != "profile_key"
)
assert all(SPEC_BY_NAME[name].engine for name in ENGINE_PARAMETERS)
assert {s.name for s in SPECS if s.engine} == set(ENGINE_PARAMETERS)


def parameters_of(profile: DiseaseProfile | RuleParameters | Mapping[str, Any]) -> RuleParameters:
    """The checked engine parameters of a profile version, or of a plain mapping of values."""
    if isinstance(profile, RuleParameters):
        return profile
    if isinstance(profile, Mapping):
        return RuleParameters.from_mapping(profile)
    return RuleParameters.from_mapping(profile.parameters or {}, key=profile.key)
