"""enqueue(): one row per key, wording in the person's language, opt-outs, the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.outreach import services
from epitrace.outreach.choices import Skip, State
from epitrace.outreach.daily import build_daily_checkins
from epitrace.outreach.keys import idempotency_key
from epitrace.outreach.models import OutboxMessage
from epitrace.outreach.services import OutreachError, enqueue
from epitrace.outreach.tests.conftest import at
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db
LINK = "https://portal.example.org/t/Zx81Qp"


def _person(**extra: Any) -> Any:
    return f.PersonFactory.create(**extra)


def test_the_same_key_twice_gives_one_row() -> None:
    person = _person()
    first = enqueue(
        "sms", "self_interview", person=person, address="+18605551234", context={"link": LINK}
    )
    again = enqueue(
        "sms",
        "self_interview",
        person=person,
        address="+18605551234",
        context={"link": LINK + "-other"},
    )
    assert again.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    assert LINK + "-other" not in again.body
    # Another day, another channel or another purpose is another message.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    enqueue(
        "sms",
        "self_interview",
        person=person,
        address="+18605551234",
        context={"link": LINK},
        key_day=tomorrow,
    )
    enqueue(
        "email",
        "self_interview",
        person=person,
        address="Maria@Example.org",
        context={"link": LINK},
    )
    assert OutboxMessage.objects.count() == 3


def test_a_rolled_back_cause_leaves_no_message() -> None:
    person = _person()

    def cause() -> None:
        with transaction.atomic():
            enqueue("sms", "closing", person=person, address="+18605551234")
            raise RuntimeError("the change that caused it failed")

    with pytest.raises(RuntimeError):
        cause()
    assert not OutboxMessage.objects.exists()


def test_wording_follows_the_language_with_english_fallback() -> None:
    spanish = enqueue(
        "sms",
        "self_interview",
        person=_person(preferred_language="es"),
        address="+18605551230",
        context={"link": LINK},
    )
    polish = enqueue(
        "sms",
        "self_interview",
        person=_person(preferred_language="pl"),
        address="+18605551231",
        context={"link": LINK},
    )
    assert spanish.language == "es"
    assert "formulario" in spanish.body
    assert polish.language == "en"
    assert "form" in polish.body
    assert LINK in spanish.body
    assert LINK in polish.body


def test_email_has_a_subject_and_keeps_its_lines() -> None:
    row = enqueue(
        "email",
        "contact_notification",
        person=_person(),
        address="a@example.org",
        context={"link": LINK},
    )
    assert row.subject.startswith("An important message from")
    assert "\n" in row.body
    assert LINK in row.body


def test_a_deceased_person_gets_a_cancelled_row() -> None:
    person = _person(deceased_date=timezone.localdate())
    row = enqueue("sms", "closing", person=person, address="+18605551234")
    assert row.state == State.CANCELLED
    assert row.error_code == Skip.DECEASED


def test_an_opted_out_number_gets_a_cancelled_row() -> None:
    services.do_suppress("+18605551234", "sms", "stop", acting_user=system_user())
    row = enqueue("sms", "closing", person=_person(), address="+18605551234")
    assert row.state == State.CANCELLED
    assert row.error_code == Skip.SUPPRESSED


def test_outside_the_window_the_row_waits_for_the_morning(monkeypatch: Any) -> None:
    late = at(22, 30)
    monkeypatch.setattr(timezone, "now", lambda: late.astimezone(dt.UTC))
    row = enqueue("sms", "closing", person=_person(), address="+18605551234")
    due = row.next_attempt_at.astimezone(late.tzinfo)
    assert (due.date(), due.hour, due.minute) == (late.date() + dt.timedelta(days=1), 8, 0)
    assert row.key_day == late.date()  # the message is still the evening's


def test_a_code_the_person_asked_for_leaves_at_night_and_may_be_asked_again(
    monkeypatch: Any,
) -> None:
    late = at(22, 30)
    monkeypatch.setattr(timezone, "now", lambda: late.astimezone(dt.UTC))
    first = enqueue(
        "sms", "enrol_code", address="+18605551234", context={"code": "123456"}, key_extra="1"
    )
    again = enqueue(
        "sms", "enrol_code", address="+18605551234", context={"code": "654321"}, key_extra="2"
    )
    assert first.next_attempt_at == late
    assert again.next_attempt_at == late
    assert first.pk != again.pk
    assert "654321" in again.body
    # Without the extra part it is the same key: one message a day, as for everything else.
    assert enqueue("sms", "enrol_code", address="+18605551234", key_extra="1").pk == first.pk


def test_inside_the_window_the_row_is_due_now(monkeypatch: Any) -> None:
    noon = at(12)
    monkeypatch.setattr(timezone, "now", lambda: noon.astimezone(dt.UTC))
    row = enqueue("sms", "closing", person=_person(), address="+18605551234")
    assert row.next_attempt_at == noon


@pytest.mark.parametrize(
    ("channel", "address"),
    [("sms", "860-555-1234"), ("sms", ""), ("email", "not-an-address"), ("fax", "+18605551234")],
)
def test_bad_input_is_refused_clearly(channel: str, address: str) -> None:
    with pytest.raises(OutreachError):
        enqueue(channel, "closing", person=_person(), address=address)


def test_a_message_without_a_person_is_keyed_by_a_hash_of_the_address() -> None:
    row = enqueue("sms", "help_reply", address="+18605551234")
    assert "8605551234" not in row.key
    assert row.key == idempotency_key(
        "sms", "help_reply", person_id=None, address="+18605551234", day=row.key_day
    )


def _this_morning() -> dt.datetime:
    # Today's check-ins are built while today's window is open: a build after
    # it closed (8 pm in the state's zone) rightly adds nothing.
    return dt.datetime.combine(
        timezone.localdate(), dt.time(9, 0), tzinfo=timezone.get_current_timezone()
    )


def test_the_daily_build_adds_one_row_per_monitoree_once(personas: Any) -> None:
    a = personas.a
    f.ContactPointFactory.create(person=a.contact, value="+18605559001")
    added = build_daily_checkins(now=_this_morning())
    again = build_daily_checkins(now=_this_morning())
    rows = OutboxMessage.objects.filter(purpose="daily_checkin")
    # The case in isolation and its contact, in both LHDs (personas have phones on cases).
    assert added == rows.count() >= 2
    assert again == 0
    contact_row = rows.get(person=a.contact)
    expected = idempotency_key(
        "sms",
        "daily_checkin",
        person_id=a.contact.pk,
        address="+18605559001",
        day=contact_row.key_day,
    )
    assert contact_row.key == expected
    assert contact_row.address == "+18605559001"
    # The database's key is the one enqueue() computes: enqueue finds the row.
    same = enqueue(
        "sms",
        "daily_checkin",
        person=a.contact,
        address="+18605559001",
        key_day=contact_row.key_day,
    )
    assert same.pk == contact_row.pk


def test_the_daily_build_skips_the_deceased_and_the_opted_out(personas: Any) -> None:
    a = personas.a
    f.ContactPointFactory.create(person=a.contact, value="+18605559001")
    services.do_suppress("+18605559001", "sms", "stop", acting_user=system_user())
    a.person.deceased_date = timezone.localdate()
    a.person.save()
    assert build_daily_checkins(now=_this_morning()) >= 1  # personas of the other LHD
    assert not OutboxMessage.objects.filter(person__in=[a.person, a.contact]).exists()
