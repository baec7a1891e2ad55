"""Daily monitoring of one monitoree: window, closing, release, reminders.

The semantics are Sara Alert's (CDC/MITRE, v1.44 and the rules before
2022-01-18; ../shared/testdata/rules/saraalert/RULES.md), with every number
read from the disease profile. Everything is computed in the monitoree's
local time zone: "today" is the local date of ``now``, a report's day is its
local date. Where Sara Alert compares a date with a moment ("the first
positive specimen before 5 days ago"), the date stands for its local
midnight, so a specimen collected exactly R days ago already counts.

Pure functions over plain inputs: :class:`Situation` holds the record, its
reports and labs, the clock and the zone; nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from epitrace.diseases.rules.params import RuleParameters


class Workflow(StrEnum):
    EXPOSURE = "exposure"  # a contact in quarantine or symptom monitoring
    ISOLATION = "isolation"  # a case


class CloseReason(StrEnum):
    ENROLLED_PAST_PERIOD = "enrolled_past_period"
    ENROLLED_LAST_DAY = "enrolled_last_day"
    NO_ACTIVITY = "no_activity_30_days"
    COMPLETED = "completed_monitoring"


class Recovery(StrEnum):
    """The three release definitions, tried in this order."""

    ASYMPTOMATIC = "asymptomatic_non_test_based"
    SYMPTOMATIC = "symptomatic_non_test_based"
    TEST_BASED = "test_based"


CONTINUOUS = "continuous"
# Contact methods that cannot carry a reminder ("opt-out" as Sara Alert spells it).
UNUSABLE_CONTACT_METHODS = frozenset({"", "unknown", "opt_out", "opt-out"})


@dataclass(frozen=True)
class Report:
    """A daily symptom report; ``fever`` covers fever and fever-reducing medicine."""

    at: dt.datetime
    symptomatic: bool = False
    fever: bool = False


@dataclass(frozen=True)
class Lab:
    specimen_date: dt.date | None
    result: str  # "positive", "negative", ...
    test_type: str | None = None  # a test class: "pcr", "antigen", ...


@dataclass(frozen=True)
class Monitoree:
    """What the rules need to know of a monitored record (a contact or a case)."""

    workflow: Workflow
    enrolled_at: dt.datetime
    updated_at: dt.datetime
    open: bool = True
    purged: bool = False
    last_exposure_date: dt.date | None = None
    continuous_exposure: bool = False
    user_symptom_onset: dt.date | None = None
    extended_isolation: dt.date | None = None
    public_health_action: str = "none"
    notifications_paused: bool = False
    contact_method: str | None = "sms"
    reports_for_self: bool = True  # False: a household member the head reports for
    active_dependents: bool = False
    last_reminder_sent_at: dt.datetime | None = None


@dataclass(frozen=True)
class Situation:
    """A monitoree seen at one moment, in their own time zone."""

    record: Monitoree
    now: dt.datetime
    zone: ZoneInfo
    reports: tuple[Report, ...] = ()
    labs: tuple[Lab, ...] = ()

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("now must carry a time zone")

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone)

    @cached_property
    def local_now(self) -> dt.datetime:
        return self.local(self.now)

    @cached_property
    def today(self) -> dt.date:
        return self.local_now.date()

    @cached_property
    def latest_report(self) -> Report | None:
        return max(self.reports, key=lambda r: r.at, default=None)

    @property
    def is_exposure(self) -> bool:
        return self.record.workflow == Workflow.EXPOSURE

    @property
    def is_active(self) -> bool:
        return self.record.open and not self.record.purged

    @cached_property
    def anchor(self) -> dt.date:
        """Day 0 of the monitoring period: the last exposure, else the local enrolment day."""
        lde = self.record.last_exposure_date
        return lde if lde is not None else self.local(self.record.enrolled_at).date()

    def before_days_ago(self, day: dt.date, days: int) -> bool:
        """``day`` (its local midnight) is earlier than this moment ``days`` days ago."""
        return (day, dt.time.min) < (self.today - dt.timedelta(days=days), self.local_now.time())

    def within_hours(self, moment: dt.datetime, hours: int) -> bool:
        """``moment`` is no earlier than ``hours`` hours ago (a future moment counts)."""
        return moment >= self.now - dt.timedelta(hours=hours)


def symptom_onset(s: Situation) -> dt.date | None:
    """The onset a user entered, else the local day of the earliest symptomatic report."""
    if s.record.user_symptom_onset is not None:
        return s.record.user_symptom_onset
    symptomatic = [r.at for r in s.reports if r.symptomatic]
    return s.local(min(symptomatic)).date() if symptomatic else None


def end_of_monitoring(p: RuleParameters, s: Situation) -> dt.date | str | None:
    """Last day of monitoring; "continuous" while exposure goes on; None for a case."""
    if not s.is_exposure:
        return None
    if s.record.continuous_exposure:
        return CONTINUOUS
    return s.anchor + dt.timedelta(days=p.monitoring_period_days)


def being_monitored(p: RuleParameters, s: Situation) -> bool:
    """Inside the monitoring window; the period's last day still counts."""
    if not s.is_active:
        return False
    if not s.is_exposure or s.record.continuous_exposure:
        return True
    return s.anchor >= s.today - dt.timedelta(days=p.monitoring_period_days)


def monitoring_complete(p: RuleParameters, s: Situation) -> bool:
    """The period's last day has come (on that day the record is also still monitored)."""
    if s.record.continuous_exposure:
        return False
    return s.anchor + dt.timedelta(days=p.monitoring_period_days) <= s.today


def reported_today(s: Situation) -> bool:
    """The latest report falls on today's local date (a future report hides an earlier one)."""
    latest = s.latest_report
    return latest is not None and s.local(latest.at).date() == s.today


def close_eligible(p: RuleParameters, s: Situation) -> CloseReason | None:
    """Why the system may close the record now, tried in Sara Alert's order."""
    if not s.is_active:
        return None
    reported = _closes_after_todays_report(p, s)
    lde = s.record.last_exposure_date
    if reported and lde is not None:
        period_end = lde + dt.timedelta(days=p.monitoring_period_days)
        enrolled = s.local(s.record.enrolled_at).date()
        if period_end < enrolled:
            return CloseReason.ENROLLED_PAST_PERIOD
        if period_end == enrolled:
            return CloseReason.ENROLLED_LAST_DAY
    if _inactive(p, s):
        return CloseReason.NO_ACTIVITY
    return CloseReason.COMPLETED if reported else None


def _closes_after_todays_report(p: RuleParameters, s: Situation) -> bool:
    """An asymptomatic contact who reported today once the period is over."""
    return (
        s.is_exposure
        and s.record.public_health_action == "none"
        and symptom_onset(s) is None
        and not s.record.continuous_exposure
        and reported_today(s)
        and monitoring_complete(p, s)
    )


def _inactive(p: RuleParameters, s: Situation) -> bool:
    """Non-reporting and unchanged for ``close_inactive_days`` (a contact: after the period)."""
    days = p.close_inactive_days
    if days is None or s.record.updated_at > s.now - dt.timedelta(days=days):
        return False
    latest = s.latest_report
    if latest is not None and s.within_hours(latest.at, p.non_reporting_interval_hours):
        return False
    if s.is_exposure:
        return monitoring_complete(p, s)
    extended = s.record.extended_isolation
    grace = dt.timedelta(days=p.close_after_extended_isolation_days)
    return extended is None or s.today >= extended + grace


def recovery(p: RuleParameters, s: Situation) -> Recovery | None:
    """The first release definition a case meets, or None (Sara Alert's "requiring review")."""
    if s.is_exposure or not s.is_active:
        return None
    extended = s.record.extended_isolation
    if extended is not None and extended >= s.today:
        return None
    onset = symptom_onset(s)
    if onset is None and _asymptomatic_period_over(p, s):
        return Recovery.ASYMPTOMATIC
    days = p.isolation_days_after_onset
    if (
        onset is not None
        and days is not None
        and onset <= s.today - dt.timedelta(days=days)
        and _fever_free(p, s)
    ):
        return Recovery.SYMPTOMATIC
    if _negative_tests_enough(p, s) and s.reports and _fever_free(p, s):
        return Recovery.TEST_BASED
    return None


def _asymptomatic_period_over(p: RuleParameters, s: Situation) -> bool:
    days = p.isolation_days_after_specimen_asymptomatic
    positives = [lab.specimen_date for lab in s.labs if _is(lab.result, "positive")]
    first = min((day for day in positives if day is not None), default=None)
    return (
        bool(s.reports)
        and days is not None
        and first is not None
        and (s.before_days_ago(first, days))
    )


def _fever_free(p: RuleParameters, s: Situation) -> bool:
    hours = p.isolation_fever_free_hours
    if hours is None:
        return True
    return not any(r.fever and s.within_hours(r.at, hours) for r in s.reports)


def _negative_tests_enough(p: RuleParameters, s: Situation) -> bool:
    required = p.recovery_negative_tests_required
    if required is None:
        return False
    negatives = [lab for lab in s.labs if _is(lab.result, "negative")]
    apart = p.recovery_negative_tests_hours_apart
    if not apart:
        return len(negatives) >= required
    # Specimens are known by their date: hours apart means that many days apart, rounded up.
    gap = dt.timedelta(days=-(-apart // 24))
    spaced: list[dt.date] = []
    for day in sorted(lab.specimen_date for lab in negatives if lab.specimen_date is not None):
        if not spaced or day - spaced[-1] >= gap:
            spaced.append(day)
    return len(spaced) >= required


def _reduced_quarantine_base(s: Situation) -> dt.date | None:
    """The last exposure of a record the shorter options can apply to, else None."""
    record = s.record
    if not s.is_exposure or not s.is_active or record.continuous_exposure:
        return None
    if any(r.symptomatic for r in s.reports):
        return None
    return record.last_exposure_date


def _reported_between(s: Situation, lde: dt.date, first: int, last: int) -> bool:
    start, end = lde + dt.timedelta(days=first), lde + dt.timedelta(days=last)
    return any(start <= s.local(r.at).date() <= end for r in s.reports)


def reduced_quarantine_10(p: RuleParameters, s: Situation) -> bool:
    """CDC option: quarantine ends on day 10 without a test (no symptoms, reported 10-13)."""
    lde = _reduced_quarantine_base(s)
    days, until = p.reduced_quarantine_days, p.reduced_quarantine_report_until_day
    if lde is None or days is None or until is None:
        return False
    return s.today >= lde + dt.timedelta(days=days) and _reported_between(s, lde, days, until)


def reduced_quarantine_7(p: RuleParameters, s: Situation) -> bool:
    """CDC option: day 7 with a negative PCR/antigen specimen collected on days 5-9."""
    lde = _reduced_quarantine_base(s)
    days, until = p.reduced_quarantine_tested_days, p.reduced_quarantine_tested_report_until_day
    test_from, classes = p.reduced_quarantine_test_from_day, p.reduced_quarantine_test_classes
    if lde is None or days is None or until is None or test_from is None or not classes:
        return False
    if s.today < lde + dt.timedelta(days=days) or not _reported_between(s, lde, days, until):
        return False
    first, last = lde + dt.timedelta(days=test_from), lde + dt.timedelta(days=until)
    return any(
        _is(lab.result, "negative")
        and (lab.test_type or "").lower() in classes
        and lab.specimen_date is not None
        and first <= lab.specimen_date <= last
        for lab in s.labs
    )


def reminder_eligible(p: RuleParameters, s: Situation) -> bool:
    """Whether a daily-report reminder may be sent now (Sara Alert's report_eligibility)."""
    record = s.record
    if record.purged or not record.reports_for_self or record.notifications_paused:
        return False
    if not record.open and not record.active_dependents:
        return False
    method = (record.contact_method or "").strip().lower()
    if method in UNUSABLE_CONTACT_METHODS:
        return False
    if s.is_exposure and _reporting_period_over(p, s):
        return False
    sent = record.last_reminder_sent_at
    if sent is not None and sent > s.now - dt.timedelta(hours=p.reminder_interval_hours):
        return False
    return not _reported_since_midnight(s)


def _reporting_period_over(p: RuleParameters, s: Situation) -> bool:
    record = s.record
    if record.continuous_exposure or record.active_dependents:
        return False
    days = p.monitoring_period_days + p.reminder_days_after_monitoring
    if record.last_exposure_date is not None:
        return s.before_days_ago(record.last_exposure_date, days)
    return record.enrolled_at < s.now - dt.timedelta(days=days)


def _reported_since_midnight(s: Situation) -> bool:
    # Midnight in the record's own zone; a report dated later (even tomorrow) counts.
    latest = s.latest_report
    return latest is not None and s.local(latest.at).date() >= s.today


def _is(result: str | None, expected: str) -> bool:
    return (result or "").strip().lower() == expected
