"""The periods a profile decides: infectious period, isolation, quarantine, monitoring.

Pure functions over dates. Day 0 is the onset, the specimen collection or
the last exposure; an end date is the period's last day (day N), the day
the person may be released or the record closed. Every length comes from
the profile's parameters (:mod:`.params`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from epitrace.diseases.rules.params import RuleParameters, parameters_of

if TYPE_CHECKING:
    from epitrace.diseases.models import DiseaseProfile

    Profile = DiseaseProfile | RuleParameters | Mapping[str, Any]


class InfectiousPeriod(NamedTuple):
    """First and last infectious day; ``end`` is None when no date decides it (mpox)."""

    start: dt.date
    end: dt.date | None


class ReducedQuarantine(NamedTuple):
    """Earliest quarantine ends under the shorter options; None where not offered.

    ``test_from`` is the first day a negative specimen counts for ``with_negative_test``.
    """

    without_test: dt.date | None
    with_negative_test: dt.date | None
    test_from: dt.date | None


def _days(day: dt.date, count: int) -> dt.date:
    return day + dt.timedelta(days=count)


def isolation_end(
    profile: Profile, *, onset: dt.date | None = None, specimen: dt.date | None = None
) -> dt.date | None:
    """The last day of a case's isolation, counted from the onset, else from the specimen.

    Pass ``onset=None`` for an asymptomatic case. None when neither date is
    known or the profile ends isolation on clinical criteria only.
    """
    params = parameters_of(profile)
    if onset is not None:
        days = params.isolation_days_after_onset
        return None if days is None else _days(onset, days)
    if specimen is not None:
        days = params.isolation_days_after_specimen_asymptomatic
        return None if days is None else _days(specimen, days)
    return None


def infectious_period(
    profile: Profile, *, onset: dt.date | None = None, specimen: dt.date | None = None
) -> InfectiousPeriod:
    """When a case could infect others: contacts exposed in it are elicited.

    COVID-19: from 2 days before onset (or specimen) until isolation ends;
    measles: 4 days before to 4 days after rash onset.
    """
    params = parameters_of(profile)
    if onset is not None:
        start = _days(onset, -params.infectious_days_before_onset)
        after = params.infectious_days_after_onset
        if after is not None:
            return InfectiousPeriod(start, _days(onset, after))
    elif specimen is not None:
        start = _days(specimen, -params.infectious_days_before_specimen)
    else:
        raise ValueError("the infectious period needs an onset or a specimen date")
    return InfectiousPeriod(start, isolation_end(params, onset=onset, specimen=specimen))


def _exposure_day_zero(
    params: RuleParameters, last_exposure: dt.date, ongoing_until: dt.date | None
) -> dt.date:
    # A contact who keeps living with the case stays exposed until the case's
    # isolation ends: their quarantine counts from that day (CDC 2020).
    if ongoing_until is not None and params.household_ongoing_counts_from_isolation_end:
        return max(last_exposure, ongoing_until)
    return last_exposure


def quarantine_end(
    profile: Profile, last_exposure: dt.date, *, ongoing_until: dt.date | None = None
) -> dt.date | None:
    """The last day of a contact's quarantine; None when the profile has no quarantine.

    ``ongoing_until`` is the case's isolation end for a household contact who
    is still exposed. When that contact's case has no isolation end yet, the
    exposure is still going on and has no end: do not call this with None.
    """
    params = parameters_of(profile)
    if params.quarantine_days == 0:
        return None
    start = _exposure_day_zero(params, last_exposure, ongoing_until)
    return _days(start, params.quarantine_days)


def monitoring_end(
    profile: Profile, last_exposure: dt.date, *, ongoing_until: dt.date | None = None
) -> dt.date:
    """The last day of a contact's symptom monitoring (mpox: monitoring without quarantine)."""
    params = parameters_of(profile)
    start = _exposure_day_zero(params, last_exposure, ongoing_until)
    return _days(start, params.monitoring_period_days)


def reduced_quarantine(profile: Profile, last_exposure: dt.date) -> ReducedQuarantine:
    """The CDC December 2020 options: end on day 10 without symptoms, or day 7 with a test."""
    params = parameters_of(profile)
    untested = params.reduced_quarantine_days
    tested = params.reduced_quarantine_tested_days
    test_from = params.reduced_quarantine_test_from_day
    return ReducedQuarantine(
        without_test=None if untested is None else _days(last_exposure, untested),
        with_negative_test=None if tested is None else _days(last_exposure, tested),
        test_from=None if tested is None or test_from is None else _days(last_exposure, test_from),
    )
