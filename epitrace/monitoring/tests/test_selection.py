"""The fast selection agrees with the rule engine, record by record."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from epitrace.monitoring.eligibility import decide
from epitrace.monitoring.selection import select
from epitrace.monitoring.tests.population import SHARED_PHONE, build

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _moments() -> list[dt.datetime]:
    today = timezone.localdate()
    return [
        dt.datetime.combine(today, dt.time(10, 30), tzinfo=NEW_YORK),
        dt.datetime.combine(today, dt.time(0, 0), tzinfo=NEW_YORK),  # midnight: the day's edge
        dt.datetime.combine(today, dt.time(23, 10), tzinfo=NEW_YORK),
    ]


@pytest.mark.parametrize("moment", range(3))
def test_the_fast_selection_equals_the_rule_engine_for_every_person(
    personas: Any, moment: int
) -> None:
    now = _moments()[moment]
    population = build(personas.a.jurisdiction, now)
    fast = {c.person_id: c for c in select(now)}
    for person in population.persons:
        person.refresh_from_db()
        expected = decide(person, now)
        got = fast.get(person.pk)
        name = next(k for k, v in population.named.items() if v.pk == person.pk)
        if expected is None:
            assert got is None, f"{name}: selected, the rules say no"
        else:
            assert got is not None, f"{name}: the rules say yes, not selected"
            assert (got.recipient_id, got.address, got.channel, got.day) == (
                expected.recipient_id,
                expected.address,
                expected.channel,
                expected.day,
            ), name


def test_the_population_covers_both_answers_of_each_rule(personas: Any) -> None:
    """Guards the differential test against a population where everything is yes (or no)."""
    now = _moments()[0]
    population = build(personas.a.jurisdiction, now)
    chosen = {c.person_id: c for c in select(now)}
    named = population.named

    def asked(name: str) -> bool:
        return named[name].pk in chosen

    assert asked("isolating")
    assert not asked("isolation_ended")
    assert not asked("case_closed")
    assert asked("case_without_profile")
    assert not asked("isolation_starts_tomorrow")
    assert asked("contact_day_1")
    assert not asked("contact_day_30")
    assert asked("ongoing_household")
    assert not asked("contact_completed")
    assert not asked("deceased")
    assert not asked("purged")
    assert not asked("not_monitored")
    assert not asked("no_contact_at_all")
    assert not asked("answered_today")
    assert asked("answered_yesterday")
    assert not asked("reminded_2h_ago")
    assert asked("reminded_13h_ago")
    guardian = named["guardian_with_phone"]
    assert chosen[named["minor_with_guardian"].pk].recipient_id == guardian.pk
    assert chosen[named["adult_tomorrow"].pk].recipient_id == guardian.pk
    assert chosen[named["turns_adult_today"].pk].recipient_id == named["turns_adult_today"].pk
    assert chosen[named["minor_guardian_email"].pk].channel == "email"
    assert not asked("minor_guardian_unreachable")
    assert chosen[named["minor_guardian_deceased"].pk].recipient_id == (
        named["minor_guardian_deceased"].pk
    )
    second = named["opted_out_then_second_phone"].contact_points.get(rank=2).value
    assert chosen[named["opted_out_then_second_phone"].pk].address == second
    assert chosen[named["opted_out_with_email"].pk].channel == "email"
    assert not asked("opted_out_everything")
    assert asked("opt_out_lifted")
    assert {chosen[named[n].pk].address for n in ("household_a", "household_b")} == {SHARED_PHONE}
    assert chosen[named["email_only"].pk].channel == "email"
    assert asked("los_angeles")
    assert asked("madrid")
    assert asked("kiritimati")
    days = [c.person_id for c in chosen.values()]
    assert len(days) == len(set(days))  # one line per monitoree
