"""Infectious period, isolation, quarantine and monitoring ends, for every shipped profile."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epitrace.diseases.rules import (
    InfectiousPeriod,
    ReducedQuarantine,
    infectious_period,
    isolation_end,
    monitoring_end,
    quarantine_end,
    reduced_quarantine,
)
from epitrace.diseases.tests.helpers import params, shipped

D = dt.date(2021, 3, 10)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def test_covid_2020() -> None:
    cdc = params("covid-19-cdc-2020")
    assert infectious_period(cdc, onset=D) == InfectiousPeriod(day(-2), day(10))
    assert infectious_period(cdc, specimen=D) == InfectiousPeriod(day(-2), day(10))
    assert isolation_end(cdc, onset=D) == day(10)
    assert isolation_end(cdc, specimen=D) == day(10)
    assert isolation_end(cdc, onset=D, specimen=day(3)) == day(10)  # the onset wins
    assert isolation_end(cdc) is None
    assert quarantine_end(cdc, D) == day(14)
    assert monitoring_end(cdc, D) == day(14)
    assert reduced_quarantine(cdc, D) == ReducedQuarantine(day(10), day(7), day(5))


def test_household_contact_still_exposed_counts_from_the_isolation_end() -> None:
    cdc = params("covid-19-cdc-2020")
    case_isolation_end = isolation_end(cdc, onset=D)
    assert case_isolation_end == day(10)
    assert quarantine_end(cdc, D, ongoing_until=case_isolation_end) == day(24)
    # An exposure date after the isolation end (a new contact) is day 0 itself.
    assert quarantine_end(cdc, day(12), ongoing_until=day(10)) == day(26)
    assert monitoring_end(cdc, D, ongoing_until=day(10)) == day(24)
    other_rule = params("covid-19-cdc-2020", household_ongoing_counts_from_isolation_end=False)
    assert quarantine_end(other_rule, D, ongoing_until=day(10)) == day(14)


def test_sara_alert_2022() -> None:
    sara = params("covid-19-saraalert-2022")
    assert isolation_end(sara, onset=D) == day(5)
    assert quarantine_end(sara, D) == day(10)
    assert infectious_period(sara, onset=D) == InfectiousPeriod(day(-2), day(5))


def test_measles_four_days_either_side_of_the_rash() -> None:
    measles = params("measles-cdc")
    assert infectious_period(measles, onset=D) == InfectiousPeriod(day(-4), day(4))
    assert isolation_end(measles, onset=D) == day(4)
    assert quarantine_end(measles, D) == day(21)
    assert monitoring_end(measles, D) == day(21)
    assert reduced_quarantine(measles, D) == ReducedQuarantine(None, None, None)


def test_mpox_monitoring_without_quarantine_and_clinical_release() -> None:
    mpox = params("mpox-cdc-2022")
    assert quarantine_end(mpox, D) is None
    assert monitoring_end(mpox, D) == day(21)
    assert isolation_end(mpox, onset=D) is None
    assert infectious_period(mpox, onset=D) == InfectiousPeriod(day(-4), None)


def test_a_plain_mapping_works_and_a_missing_date_is_an_error() -> None:
    values = shipped("covid-19-saraalert-2022")
    assert quarantine_end(values, D) == day(10)
    with pytest.raises(ValueError, match="onset or a specimen"):
        infectious_period(values)


@given(
    lde=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)),
    days=st.integers(min_value=1, max_value=120),
    until=st.none() | st.integers(min_value=-30, max_value=60),
)
def test_quarantine_is_n_days_from_the_later_of_exposure_and_isolation_end(
    lde: dt.date, days: int, until: int | None
) -> None:
    rules = params("covid-19-cdc-2020", quarantine_days=days)
    ongoing = None if until is None else lde + dt.timedelta(days=until)
    end = quarantine_end(rules, lde, ongoing_until=ongoing)
    start = lde if ongoing is None else max(lde, ongoing)
    assert end == start + dt.timedelta(days=days)
    later = quarantine_end(rules, lde + dt.timedelta(days=1), ongoing_until=ongoing)
    assert later is not None
    assert end is not None
    assert later >= end  # a later exposure never ends quarantine sooner


@given(
    onset=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)),
    before=st.integers(min_value=0, max_value=10),
    isolation=st.integers(min_value=0, max_value=30),
)
def test_the_infectious_period_contains_the_onset(
    onset: dt.date, before: int, isolation: int
) -> None:
    rules = params(
        "covid-19-cdc-2020",
        infectious_days_before_onset=before,
        isolation_days_after_onset=isolation,
    )
    start, end = infectious_period(rules, onset=onset)
    assert end is not None
    assert start <= onset <= end
    assert (onset - start).days == before
    assert end == isolation_end(rules, onset=onset)
