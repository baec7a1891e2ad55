"""The thin layer between the rules and Epitrace's records.

Reads what the pure rules need from cases, exposures and lab results, and
finds a profile version by key. Querysets handed in are the caller's (a
view passes restricted ones); nothing here widens what a caller may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules.monitoring import Lab
from epitrace.diseases.rules.params import ProfileError, RuleParameters, parameters_of
from epitrace.diseases.rules.periods import (
    InfectiousPeriod,
    infectious_period,
    isolation_end,
    quarantine_end,
)
from epitrace.labs.choices import ResultStatus
from epitrace.labs.models import LabResult


class UnknownProfile(LookupError):
    """No profile version has this key."""


def profile_by_key(key: str) -> DiseaseProfile:
    try:
        return DiseaseProfile.objects.select_related("disease").get(key=key)
    except DiseaseProfile.DoesNotExist:
        raise UnknownProfile(f"no disease profile with key {key!r}") from None


def case_parameters(case: Case) -> RuleParameters:
    """The rules of the profile version the case runs on."""
    if case.profile is None:
        raise ProfileError(f"case {case.number} has no disease profile")
    return parameters_of(case.profile)


def exposure_profile(exposure: Exposure) -> DiseaseProfile | None:
    """The profile version an exposure runs on: its case's, else its own.

    A case-less exposure (a self-enrolment after an exposure notification)
    keeps the version in force on its last exposure date; one recorded
    without it takes that version of its disease now.
    """
    if exposure.case is not None:
        return exposure.case.profile
    if exposure.profile_id is not None:
        return exposure.profile
    if exposure.disease_id is None:
        return None
    return DiseaseProfile.objects.in_force(exposure.disease_id, exposure.last_exposure_date)


def exposure_parameters(exposure: Exposure) -> RuleParameters:
    """The rules of the profile version the exposure runs on (see :func:`exposure_profile`)."""
    profile = exposure_profile(exposure)
    if profile is None:
        raise ProfileError(f"exposure {exposure.pk} has no disease profile")
    return parameters_of(profile)


def case_onset(case: Case) -> dt.date | None:
    """Day 0 of a symptomatic case; None for an asymptomatic one (the specimen counts)."""
    return None if case.asymptomatic else case.onset_date


def case_isolation_end(case: Case, params: RuleParameters | None = None) -> dt.date | None:
    """The isolation end the profile gives this case (``params``: other rules to try)."""
    rules = params or case_parameters(case)
    return isolation_end(rules, onset=case_onset(case), specimen=case.specimen_date)


def case_infectious_period(case: Case) -> InfectiousPeriod:
    return infectious_period(
        case_parameters(case), onset=case_onset(case), specimen=case.specimen_date
    )


def exposure_quarantine_end(
    exposure: Exposure, params: RuleParameters | None = None
) -> dt.date | None:
    """The quarantine end of a contact under their exposure's profile (or ``params``).

    An ongoing exposure counts from the case's isolation end: the one the
    rules give, else the one staff recorded. With neither, or with no known
    case to end it, it has no end yet.
    """
    rules = params or exposure_parameters(exposure)
    if not exposure.ongoing:
        return quarantine_end(rules, exposure.last_exposure_date)
    case = exposure.case
    if case is None:
        return None
    until = case_isolation_end(case, rules) or case.isolation_end
    if until is None:
        return None
    return quarantine_end(rules, exposure.last_exposure_date, ongoing_until=until)


def zone_of(name: str | None) -> ZoneInfo:
    """A person's time zone; an unknown or empty name falls back to the state's default."""
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def lab_inputs(results: Iterable[LabResult], zone: ZoneInfo) -> tuple[Lab, ...]:
    """Lab results as the rules read them: local specimen date, interpretation, test class."""
    return tuple(
        Lab(
            specimen_date=(
                result.specimen_collected_at.astimezone(zone).date()
                if result.specimen_collected_at
                else None
            ),
            result=result.interpretation,
            test_type=result.test_class,
        )
        for result in results
        if result.status != ResultStatus.CANCELLED  # a cancelled result counts for nothing
    )
