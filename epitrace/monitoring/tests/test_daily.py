"""The day's outbox: one question per address, through guardians, in each person's window."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from epitrace.monitoring.selection import select
from epitrace.monitoring.tests.population import SHARED_PHONE, build
from epitrace.outreach.choices import Channel, Purpose, State
from epitrace.outreach.daily import build_daily_checkins
from epitrace.outreach.models import OutboxMessage
from epitrace.outreach.window import due_on, opening_of
from epitrace.people.models import Person
from epitrace.portal.links import open_link

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def morning(settings: Any) -> dt.datetime:
    settings.EPITRACE_OUTREACH_WINDOW = "08:00-20:00"
    settings.EPITRACE_PUBLIC_URL = "https://epitrace.example.org"
    return dt.datetime.combine(timezone.localdate(), dt.time(6, 0), tzinfo=NEW_YORK)


def _rows() -> list[OutboxMessage]:
    """The rows the build wrote (the population's own earlier reminders are keyed "test:")."""
    return list(
        OutboxMessage.objects.filter(purpose=Purpose.DAILY_CHECKIN).exclude(key__startswith="test:")
    )


def test_one_row_per_address_covering_everyone_reached_on_it(
    personas: Any, morning: dt.datetime
) -> None:
    population = build(personas.a.jurisdiction, morning)
    chosen = select(morning)
    added = build_daily_checkins(now=morning)
    rows = _rows()
    persons = Person.objects.in_bulk([c.recipient_id for c in chosen])
    open_today = {
        c.address
        for c in chosen
        if due_on(c.day, morning, persons[c.recipient_id].time_zone,
                  persons[c.recipient_id].contact_window) is not None
    }  # fmt: skip
    assert 0 < len(open_today) <= len({c.address for c in chosen})
    assert added == len(rows) == len(open_today)
    by_address = {row.address: row for row in rows}
    named = population.named
    shared = by_address[SHARED_PHONE]
    assert sorted(shared.payload["for"]) == sorted(
        [named["household_a"].pk, named["household_b"].pk]
    )
    guardian = named["guardian_with_phone"]
    to_guardian = by_address[guardian.contact_points.get().value]
    assert to_guardian.person_id == guardian.pk
    assert set(to_guardian.payload["for"]) == {
        named["minor_with_guardian"].pk,
        named["second_minor_same_guardian"].pk,
        named["adult_tomorrow"].pk,
    }
    assert all(row.state == State.QUEUED for row in rows)
    # Again, the same day: nothing new.
    assert build_daily_checkins(now=morning + dt.timedelta(hours=1)) == 0


def test_each_row_waits_for_its_persons_part_of_the_day(
    personas: Any, morning: dt.datetime
) -> None:
    population = build(personas.a.jurisdiction, morning)
    build_daily_checkins(now=morning)
    for name in ("los_angeles", "isolating", "contact_day_1"):
        person = population.named[name]
        row = OutboxMessage.objects.get(person=person, purpose=Purpose.DAILY_CHECKIN)
        assert row.send_window == person.contact_window
        start, _end = opening_of(row.key_day, person.time_zone, person.contact_window)
        assert row.next_attempt_at == max(start, morning), name


def test_email_rows_carry_their_own_checkin_link(personas: Any, morning: dt.datetime) -> None:
    population = build(personas.a.jurisdiction, morning)
    build_daily_checkins(now=morning)
    person = population.named["email_only"]
    row = OutboxMessage.objects.get(person=person, purpose=Purpose.DAILY_CHECKIN)
    assert row.channel == Channel.EMAIL
    assert row.subject
    token = row.body.split("/p/")[1].split("/")[0]
    link = open_link(token)
    assert link is not None
    assert link.person_id == person.pk
    assert link.purpose == "checkin"
    other = OutboxMessage.objects.filter(channel=Channel.EMAIL, purpose=Purpose.DAILY_CHECKIN)
    assert len({r.body for r in other}) == other.count()  # no two share a link


def test_a_part_of_the_day_that_has_closed_gets_nothing_late(
    personas: Any, morning: dt.datetime
) -> None:
    population = build(personas.a.jurisdiction, morning)
    evening = morning.replace(hour=13)  # New York: the morning part is over
    morning_person = population.named["isolating"]
    type(morning_person).objects.filter(pk=morning_person.pk).update(contact_window="morning")
    build_daily_checkins(now=evening)
    assert not OutboxMessage.objects.filter(
        person=morning_person, purpose=Purpose.DAILY_CHECKIN
    ).exists()
    assert OutboxMessage.objects.filter(
        person=population.named["contact_day_1"], purpose=Purpose.DAILY_CHECKIN
    ).exists()


def test_a_guardians_reply_answers_for_each_ward(personas: Any, twilio: Any) -> None:
    from epitrace.outreach.dispatcher.worker import Dispatcher
    from epitrace.outreach.inbound import receive_sms
    from epitrace.outreach.models import CheckInAnswer
    from epitrace.queues.choices import Kind
    from epitrace.queues.models import WorkItem

    now = timezone.now()
    population = build(personas.a.jurisdiction, now)
    build_daily_checkins(now=now)
    Dispatcher(threads=2).run(once=True)
    guardian = population.named["guardian_with_phone"]
    phone = guardian.contact_points.get().value
    assert len(twilio.sent_to(phone)) == 1  # one question for the three wards
    receive_sms(provider_id="SM" + "1" * 32, from_=phone, to="+18605550000", body="yes")
    wards = {
        population.named[name].pk
        for name in ("minor_with_guardian", "second_minor_same_guardian", "adult_tomorrow")
    }
    answers = CheckInAnswer.objects.filter(person_id__in=wards)
    assert {a.person_id for a in answers} == wards
    assert {a.reporter_id for a in answers} == {guardian.pk}
    assert all(a.symptomatic for a in answers)
    followed = WorkItem.objects.filter(kind=Kind.MONITORING, exposure__contact_id__in=wards)
    assert followed.count() == len(wards)
