"""Daily-monitoring rules (Sara Alert's semantics) at every period length and in every zone.

Sara Alert's tests freeze the clock at 18:00 UTC and repeat the window
tests for monitoring periods of 14, 21 and 60 days in several patient time
zones; these tests do the same with dates relative to the local "today".
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epitrace.diseases.rules import (
    CloseReason,
    Lab,
    Recovery,
    Report,
    Situation,
    Workflow,
    being_monitored,
    close_eligible,
    end_of_monitoring,
    monitoring_complete,
    recovery,
    reduced_quarantine_7,
    reduced_quarantine_10,
    reminder_eligible,
    symptom_onset,
)
from epitrace.diseases.tests.helpers import ZONES, at, params, situation

NOW = dt.datetime(2022, 3, 1, 18, tzinfo=dt.UTC)  # Sara Alert's frozen clock
PERIODS = (10, 14, 21, 60)
DAY = dt.timedelta(days=1)


def today_in(zone: str) -> dt.date:
    return NOW.astimezone(ZoneInfo(zone)).date()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


# --- The monitoring window -------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("n", PERIODS)
@pytest.mark.parametrize(("from_end", "delta"), [(False, 0), (False, 1), (True, -1), (True, 0),
                                                (True, 1), (True, 5)])  # fmt: skip
def test_window_from_the_last_exposure(zone: str, n: int, from_end: bool, delta: int) -> None:
    k = (n if from_end else 0) + delta  # days since the last exposure
    lde = today_in(zone) - days(k)
    s = situation(zone, now=NOW, last_exposure_date=lde, enrolled_at=NOW - days(n + 30))
    rules = params(monitoring_period_days=n)
    assert end_of_monitoring(rules, s) == lde + days(n)
    # The last day (k == n) is both still monitored and complete: closable that day.
    assert being_monitored(rules, s) is (k <= n)
    assert monitoring_complete(rules, s) is (k >= n)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("n", PERIODS)
@pytest.mark.parametrize("k", [0, 4, 9, 10, 11, 13, 14, 15, 21, 22, 60, 61])
def test_window_from_the_local_enrolment_day_without_exposure_date(
    zone: str, n: int, k: int
) -> None:
    enrolled = NOW - days(k)
    s = situation(zone, now=NOW, enrolled_at=enrolled)
    rules = params(monitoring_period_days=n)
    local_day = enrolled.astimezone(ZoneInfo(zone)).date()
    assert end_of_monitoring(rules, s) == local_day + days(n)
    assert being_monitored(rules, s) is (k <= n)
    assert monitoring_complete(rules, s) is (k >= n)


def test_the_exposure_date_wins_over_the_enrolment() -> None:
    s = situation(now=NOW, last_exposure_date=dt.date(2022, 2, 25), enrolled_at=NOW - days(11))
    assert being_monitored(params(), s)
    assert not monitoring_complete(params(), s)


def test_continuous_exposure_and_isolation() -> None:
    rules = params()
    continuous = situation(
        now=NOW, continuous_exposure=True, last_exposure_date=dt.date(2022, 1, 1)
    )
    assert end_of_monitoring(rules, continuous) == "continuous"
    assert being_monitored(rules, continuous)
    assert not monitoring_complete(rules, continuous)
    case = situation(now=NOW, workflow=Workflow.ISOLATION, enrolled_at=NOW - days(40))
    assert end_of_monitoring(rules, case) is None
    assert being_monitored(rules, case)
    closed = situation(now=NOW, workflow=Workflow.ISOLATION, open=False)
    purged = situation(now=NOW, purged=True)
    assert not being_monitored(rules, closed)
    assert not being_monitored(rules, purged)


@given(
    lde_offset=st.integers(min_value=-100, max_value=100),
    n=st.integers(min_value=1, max_value=90),
    zone=st.sampled_from(ZONES),
    minutes=st.integers(min_value=0, max_value=7 * 24 * 60),
)
def test_monitored_and_complete_overlap_on_the_last_day_only(
    lde_offset: int, n: int, zone: str, minutes: int
) -> None:
    now = NOW + dt.timedelta(minutes=minutes)
    today = now.astimezone(ZoneInfo(zone)).date()
    s = situation(zone, now=now, last_exposure_date=today + days(lde_offset))
    rules = params(monitoring_period_days=n)
    assert being_monitored(rules, s) or monitoring_complete(rules, s)
    both = being_monitored(rules, s) and monitoring_complete(rules, s)
    assert both is (today == s.anchor + days(n))


# --- Closing ---------------------------------------------------------------------------


def test_close_after_the_period_once_reported_today() -> None:
    rules = params()
    lde = dt.date(2022, 2, 9)
    report = (Report(at=NOW),)
    enrolled_early = NOW - days(20)
    s = situation(now=NOW, last_exposure_date=lde, enrolled_at=enrolled_early, reports=report)
    assert close_eligible(rules, s) == CloseReason.COMPLETED
    late = situation(now=NOW, last_exposure_date=lde, reports=report)
    assert close_eligible(rules, late) == CloseReason.ENROLLED_PAST_PERIOD
    on_last_day = situation(now=NOW, last_exposure_date=dt.date(2022, 2, 19), reports=report)
    assert close_eligible(rules, on_last_day) == CloseReason.ENROLLED_LAST_DAY


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"reports": ()}, "never reported"),
        ({"reports": (Report(at=NOW - days(1)),)}, "not reported today"),
        ({"reports": (Report(at=NOW), Report(at=NOW + days(2)))}, "latest report is not today"),
        ({"user_symptom_onset": dt.date(2022, 2, 28)}, "symptomatic"),
        ({"reports": (Report(at=NOW, symptomatic=True),)}, "a symptomatic report"),
        ({"public_health_action": "recommended testing"}, "under investigation"),
        ({"continuous_exposure": True}, "continuous exposure"),
        ({"open": False}, "already closed"),
        ({"purged": True}, "purged"),
        ({"workflow": Workflow.ISOLATION}, "a case"),
        ({"last_exposure_date": dt.date(2022, 2, 20)}, "still inside the period"),
    ],
)
def test_not_closed(change: dict, why: str) -> None:
    record: dict[str, Any] = {
        "last_exposure_date": dt.date(2022, 2, 9),
        "enrolled_at": NOW - days(20),
        "reports": (Report(at=NOW),),
        **change,
    }
    assert close_eligible(params(), situation(now=NOW, **record)) is None, why


@pytest.mark.parametrize("zone", ZONES)
def test_reported_today_is_judged_at_local_midnight(zone: str) -> None:
    today = today_in(zone)
    just_after = at(today, zone, 0) + dt.timedelta(seconds=1)
    just_before = at(today, zone, 0) - dt.timedelta(seconds=1)
    base: dict[str, Any] = {"last_exposure_date": today - days(12), "enrolled_at": NOW - days(12)}
    assert close_eligible(
        params(), situation(zone, now=NOW, reports=(Report(at=just_after),), **base)
    )
    assert not close_eligible(
        params(), situation(zone, now=NOW, reports=(Report(at=just_before),), **base)
    )


@pytest.mark.parametrize("workflow", [Workflow.EXPOSURE, Workflow.ISOLATION])
def test_inactive_records_close_after_thirty_days_without_change(workflow: Workflow) -> None:
    rules = params()
    base: dict[str, Any] = {"workflow": workflow, "enrolled_at": NOW - days(50)}
    thirty = situation(now=NOW, updated_at=NOW - days(30), **base)
    assert close_eligible(rules, thirty) == CloseReason.NO_ACTIVITY
    recent = situation(now=NOW, updated_at=NOW - days(30) + dt.timedelta(minutes=1), **base)
    assert close_eligible(rules, recent) is None
    reporting = situation(now=NOW, updated_at=NOW - days(31), reports=(Report(at=NOW),), **base)
    assert close_eligible(rules, reporting) != CloseReason.NO_ACTIVITY
    assert close_eligible(params(close_inactive_days=None), thirty) is None


def test_inactive_contact_closes_only_after_its_period_and_case_after_extended_isolation() -> None:
    rules = params(monitoring_period_days=60)
    inside = situation(now=NOW, updated_at=NOW - days(40), enrolled_at=NOW - days(50))
    assert close_eligible(rules, inside) is None
    today = today_in("America/New_York")
    for extended, closes in ((today - days(2), True), (today - days(1), False)):
        case = situation(
            now=NOW,
            workflow=Workflow.ISOLATION,
            updated_at=NOW - days(40),
            extended_isolation=extended,
        )
        assert (close_eligible(rules, case) == CloseReason.NO_ACTIVITY) is closes


# --- Release from isolation ------------------------------------------------------------


def case(zone: str = "America/New_York", now: dt.datetime = NOW, **kwargs: Any) -> Situation:
    return situation(
        zone, now=now, workflow=Workflow.ISOLATION, enrolled_at=now - days(14), **kwargs
    )


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    ("key", "r"), [("covid-19-saraalert-2022", 5), ("covid-19-saraalert-2021", 10)]
)
def test_asymptomatic_release_counts_a_specimen_exactly_r_days_ago(
    zone: str, key: str, r: int
) -> None:
    rules = params(key)
    today = today_in(zone)
    report = (Report(at=NOW - days(1)),)
    for age, met in ((r + 1, True), (r, True), (r - 1, False)):
        lab = (Lab(specimen_date=today - days(age), result="positive"),)
        s = case(zone, reports=report, labs=lab)
        assert (recovery(rules, s) == Recovery.ASYMPTOMATIC) is met, age
    # At local midnight "R days ago" starts at midnight: the same day no longer counts.
    midnight = at(today, zone, 0)
    lab = (Lab(specimen_date=today - days(r), result="positive"),)
    assert recovery(rules, case(zone, now=midnight, reports=report, labs=lab)) is None


def test_asymptomatic_release_needs_a_report_and_the_first_positive() -> None:
    rules = params()
    old = (Lab(specimen_date=dt.date(2022, 2, 20), result="positive"),)
    assert recovery(rules, case(labs=old)) is None
    recent_first = (
        Lab(specimen_date=dt.date(2022, 2, 27), result="positive"),
        Lab(specimen_date=None, result="positive"),
    )
    assert recovery(rules, case(labs=recent_first, reports=(Report(at=NOW),))) is None


@pytest.mark.parametrize("zone", ZONES)
def test_symptomatic_release_from_day_r_without_fever_in_24_hours(zone: str) -> None:
    rules = params()
    today = today_in(zone)
    onset = today - days(5)
    s = case(zone, user_symptom_onset=onset)
    assert recovery(rules, s) == Recovery.SYMPTOMATIC
    assert recovery(rules, case(zone, user_symptom_onset=onset + DAY)) is None
    fever_23h = (Report(at=NOW - dt.timedelta(hours=23), symptomatic=True, fever=True),)
    fever_25h = (Report(at=NOW - dt.timedelta(hours=25), symptomatic=True, fever=True),)
    assert recovery(rules, case(zone, user_symptom_onset=onset, reports=fever_23h)) is None
    assert recovery(rules, case(zone, user_symptom_onset=onset, reports=fever_25h)) == (
        Recovery.SYMPTOMATIC
    )


def test_test_based_release() -> None:
    rules = params()
    negatives = (Lab(None, "negative"), Lab(None, "negative"))
    assert recovery(rules, case(labs=negatives)) is None  # no report yet
    report = (Report(at=NOW - days(30)),)
    assert recovery(rules, case(labs=negatives, reports=report)) == Recovery.TEST_BASED
    assert recovery(rules, case(labs=negatives[:1], reports=report)) is None
    # CDC 2020: the two negative specimens at least 24 hours apart.
    cdc = params("covid-19-cdc-2020")
    same_day = (Lab(dt.date(2022, 2, 1), "negative"), Lab(dt.date(2022, 2, 1), "negative"))
    next_day = (Lab(dt.date(2022, 2, 1), "negative"), Lab(dt.date(2022, 2, 2), "negative"))
    assert recovery(cdc, case(labs=same_day, reports=report)) is None
    assert recovery(cdc, case(labs=next_day, reports=report)) == Recovery.TEST_BASED


def test_extended_isolation_holds_release_until_it_has_passed() -> None:
    rules = params()
    today = today_in("America/New_York")
    onset = today - days(8)
    assert recovery(rules, case(user_symptom_onset=onset, extended_isolation=today)) is None
    assert recovery(rules, case(user_symptom_onset=onset, extended_isolation=today - DAY)) == (
        Recovery.SYMPTOMATIC
    )


def test_no_release_by_date_where_the_profile_has_none() -> None:
    mpox = params("mpox-cdc-2022")
    onset = dt.date(2022, 1, 1)
    negatives = (Lab(None, "negative"), Lab(None, "negative"))
    s = case(user_symptom_onset=onset, labs=negatives, reports=(Report(at=NOW),))
    assert recovery(mpox, s) is None
    assert recovery(params(), s) == Recovery.SYMPTOMATIC


# --- Shorter quarantine (CDC, December 2020) -------------------------------------------


def contact(lde: dt.date, *reports: Report, labs: tuple[Lab, ...] = (), **kw: Any) -> Situation:
    return situation(now=NOW, last_exposure_date=lde, reports=reports, labs=labs, **kw)


def test_ten_day_option_windows() -> None:
    rules = params()
    today = today_in("America/New_York")
    lde = today - days(10)
    assert reduced_quarantine_10(rules, contact(lde, Report(at=NOW)))
    assert not reduced_quarantine_10(rules, contact(lde + DAY, Report(at=NOW)))  # day 9
    on_day = lambda d: Report(at=at(lde + days(d), "America/New_York"))  # noqa: E731
    assert reduced_quarantine_10(rules, contact(lde, on_day(13)))  # a report dated ahead counts
    assert not reduced_quarantine_10(rules, contact(lde, on_day(14)))
    assert not reduced_quarantine_10(rules, contact(lde, on_day(9)))
    assert not reduced_quarantine_10(
        rules, contact(lde, Report(at=NOW), Report(at=NOW - days(3), symptomatic=True))
    )
    assert not reduced_quarantine_10(params("measles-cdc"), contact(lde, Report(at=NOW)))
    assert not reduced_quarantine_10(rules, contact(lde, Report(at=NOW), continuous_exposure=True))


@pytest.mark.parametrize(
    ("test_day", "test_class", "qualifies"),
    [(4, "pcr", False), (5, "pcr", True), (7, "antigen", True), (9, "pcr", True),
     (10, "pcr", False), (6, "serology", False), (6, None, False)],
)  # fmt: skip
def test_seven_day_option_needs_a_negative_test_on_days_5_to_9(
    test_day: int, test_class: str | None, qualifies: bool
) -> None:
    lde = today_in("America/New_York") - days(7)
    lab = Lab(lde + days(test_day), "negative", test_class)
    assert reduced_quarantine_7(params(), contact(lde, Report(at=NOW), labs=(lab,))) is qualifies


def test_seven_day_option_needs_day_seven_and_a_report_on_days_7_to_9() -> None:
    rules = params()
    lde = today_in("America/New_York") - days(7)
    lab = (Lab(lde + days(5), "negative", "pcr"),)
    assert not reduced_quarantine_7(rules, contact(lde + DAY, Report(at=NOW), labs=lab))
    assert not reduced_quarantine_7(rules, contact(lde, Report(at=NOW - DAY), labs=lab))


# --- Reminders ---------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("n", PERIODS)
def test_reminders_stop_with_the_period_plus_one_day(zone: str, n: int) -> None:
    rules = params(monitoring_period_days=n)
    today = today_in(zone)
    assert reminder_eligible(rules, situation(zone, now=NOW, last_exposure_date=today - days(n)))
    assert not reminder_eligible(
        rules, situation(zone, now=NOW, last_exposure_date=today - days(n + 1))
    )
    enrolled = NOW - days(n + 1)
    assert reminder_eligible(rules, situation(zone, now=NOW, enrolled_at=enrolled))
    assert not reminder_eligible(
        rules, situation(zone, now=NOW, enrolled_at=enrolled - dt.timedelta(seconds=1))
    )


@pytest.mark.parametrize("zone", ZONES)
def test_one_reminder_a_day(zone: str) -> None:
    rules = params()
    today = today_in(zone)
    base: dict[str, Any] = {"last_exposure_date": today - days(3)}
    midnight = at(today, zone, 0)
    for sent, ok in ((NOW - dt.timedelta(hours=12), True), (NOW - dt.timedelta(hours=11), False)):
        assert (
            reminder_eligible(rules, situation(zone, now=NOW, last_reminder_sent_at=sent, **base))
            is ok
        )
    before = (Report(at=midnight - dt.timedelta(seconds=1)),)
    after = (Report(at=midnight),)
    assert reminder_eligible(rules, situation(zone, now=NOW, reports=before, **base))
    assert not reminder_eligible(rules, situation(zone, now=NOW, reports=after, **base))


@pytest.mark.parametrize(
    ("change", "eligible"),
    [
        ({}, True),
        ({"contact_method": "email"}, True),
        ({"contact_method": "phone"}, True),
        ({"contact_method": "unknown"}, False),
        ({"contact_method": "opt_out"}, False),
        ({"contact_method": ""}, False),
        ({"contact_method": None}, False),
        ({"notifications_paused": True}, False),
        ({"purged": True}, False),
        ({"reports_for_self": False}, False),
        ({"open": False}, False),
        ({"open": False, "active_dependents": True}, True),
        ({"workflow": Workflow.ISOLATION, "enrolled_at": NOW - days(90)}, True),
        ({"continuous_exposure": True, "enrolled_at": NOW - days(90)}, True),
        ({"active_dependents": True, "enrolled_at": NOW - days(90)}, True),
        ({"enrolled_at": NOW - days(90)}, False),
    ],
)
def test_reminder_eligibility(change: dict, eligible: bool) -> None:
    assert reminder_eligible(params(), situation(now=NOW, **change)) is eligible


@given(
    lde_offset=st.integers(min_value=-80, max_value=5),
    n=st.integers(min_value=1, max_value=60),
    zone=st.sampled_from(ZONES),
    minutes=st.integers(min_value=1, max_value=24 * 60 - 1),
)
def test_reminders_follow_the_monitoring_window(
    lde_offset: int, n: int, zone: str, minutes: int
) -> None:
    """Outside local midnight, a plain contact gets reminders exactly while monitored."""
    local = dt.datetime.combine(dt.date(2022, 3, 1), dt.time(), tzinfo=ZoneInfo(zone))
    now = (local + dt.timedelta(minutes=minutes)).astimezone(dt.UTC)
    s = situation(zone, now=now, last_exposure_date=dt.date(2022, 3, 1) + days(lde_offset))
    rules = params(monitoring_period_days=n)
    assert reminder_eligible(rules, s) is being_monitored(rules, s)


# --- Symptom onset -------------------------------------------------------------------


def test_symptom_onset_is_the_local_day_of_the_first_symptomatic_report() -> None:
    reports = (
        Report(at=dt.datetime(2022, 2, 22, 15, tzinfo=dt.UTC), symptomatic=True),
        Report(at=dt.datetime(2022, 2, 20, 3, tzinfo=dt.UTC), symptomatic=True),
        Report(at=dt.datetime(2022, 2, 18, 3, tzinfo=dt.UTC), symptomatic=False),
    )
    assert symptom_onset(situation("America/New_York", now=NOW, reports=reports)) == dt.date(
        2022, 2, 19
    )
    assert symptom_onset(situation("UTC", now=NOW, reports=reports)) == dt.date(2022, 2, 20)
    user = situation(now=NOW, reports=reports, user_symptom_onset=dt.date(2022, 2, 1))
    assert symptom_onset(user) == dt.date(2022, 2, 1)
    assert symptom_onset(situation(now=NOW)) is None
