"""Twilio webhooks: signatures, STOP/START/HELP, check-in answers, delivery receipts."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from epitrace.outreach.choices import InboundKind, InboundState, Skip, State
from epitrace.outreach.dispatcher.worker import Dispatcher
from epitrace.outreach.inbound import classify
from epitrace.outreach.models import CheckInAnswer, InboundMessage, OutboxMessage, Suppression
from epitrace.outreach.services import enqueue
from epitrace.outreach.tests.conftest import FROM, monitoree
from epitrace.outreach.tests.fakes.twilio_api import FakeTwilio
from epitrace.outreach.transports.twilio.signature import sign

pytestmark = pytest.mark.django_db
PHONE = "+18605551234"
INBOUND = "/outreach/twilio/inbound/"
_sids = itertools.count(1)


def _post(path: str, params: dict[str, str], *, signature: str | None = None) -> Any:
    url = f"https://epitrace.example.org{path}"
    header = sign(url, params) if signature is None else signature
    return Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=header)


def _text(body: str, sender: str = PHONE) -> Any:
    params = {"MessageSid": f"SM{next(_sids):032d}", "From": sender, "To": FROM, "Body": body}
    return _post(INBOUND, params)


@pytest.fixture
def household(personas: Any, twilio: FakeTwilio) -> list[Any]:
    """Two monitorees sharing one phone, each sent today's check-in question."""
    people = [monitoree(personas.a.jurisdiction, PHONE) for _ in range(2)]
    for person in people:
        enqueue("sms", "daily_checkin", person=person, address=PHONE)
    Dispatcher(threads=2).run(once=True)
    return people


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("STOP", InboundKind.STOP),
        (" stop. ", InboundKind.STOP),
        ("Unsubscribe", InboundKind.STOP),
        ("start", InboundKind.START),
        ("HELP", InboundKind.HELP),
        ("Yes", InboundKind.ANSWER_YES),
        ("Sí", InboundKind.ANSWER_YES),
        ("si!", InboundKind.ANSWER_YES),
        ("no", InboundKind.ANSWER_NO),
        ("no I feel fine", InboundKind.OTHER),
        ("Who is this?", InboundKind.OTHER),
    ],
)
def test_keywords(body: str, kind: str) -> None:
    assert classify(body) == kind


def test_a_bad_or_missing_signature_is_refused(twilio: FakeTwilio) -> None:
    params = {"MessageSid": "SM1", "From": PHONE, "To": FROM, "Body": "STOP"}
    assert _post(INBOUND, params, signature="forged").status_code == 403
    assert _post(INBOUND, params, signature="").status_code == 403
    status = "/outreach/twilio/status/?key=x&attempt=1"
    assert (
        _post(
            status, {"MessageSid": "SM1", "MessageStatus": "delivered"}, signature="forged"
        ).status_code
        == 403
    )
    assert not InboundMessage.objects.exists()
    assert not Suppression.objects.exists()
    # Signed for another URL: refused too (the URL is part of what is signed).
    signed_elsewhere = sign("https://epitrace.example.org/elsewhere/", params)
    assert _post(INBOUND, params, signature=signed_elsewhere).status_code == 403


def test_the_webhooks_refuse_get(twilio: FakeTwilio) -> None:
    assert Client().get(INBOUND).status_code == 405


def test_stop_on_a_shared_phone_stops_everyone_on_it(household: list[Any]) -> None:
    waiting = [
        enqueue(
            "sms",
            "closing",
            person=person,
            address=PHONE,
            not_before=timezone.now() + dt.timedelta(hours=1),
        )
        for person in household
    ]
    response = _text("STOP")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert Suppression.objects.get(address=PHONE, lifted_at__isnull=True).reason == "stop"
    for row in waiting:
        row.refresh_from_db()
        assert (row.state, row.error_code) == (State.CANCELLED, Skip.STOPPED)
    later = enqueue(
        "sms",
        "self_interview",
        person=household[1],
        address=PHONE,
        context={"link": "https://x.example/t/a"},
    )
    assert later.state == State.CANCELLED
    reply = InboundMessage.objects.get()
    assert reply.kind == InboundKind.STOP
    assert reply.state == InboundState.HANDLED


def test_start_lifts_the_opt_out(household: list[Any]) -> None:
    _text("STOP")
    _text("START")
    assert not Suppression.objects.filter(address=PHONE, lifted_at__isnull=True).exists()
    assert Suppression.objects.filter(address=PHONE).count() == 1  # the history stays
    row = enqueue(
        "sms",
        "self_interview",
        person=household[0],
        address=PHONE,
        context={"link": "https://x.example/t/a"},
    )
    assert row.state == State.QUEUED


def test_help_gets_one_reply_a_day_through_the_outbox(household: list[Any]) -> None:
    _text("HELP")
    _text("help")
    replies = OutboxMessage.objects.filter(purpose="help_reply")
    assert replies.count() == 1
    assert replies.get().address == PHONE
    assert "STOP" in replies.get().body


def test_no_from_a_shared_phone_answers_for_the_household(household: list[Any]) -> None:
    _text("NO")
    answers = CheckInAnswer.objects.all()
    assert {a.person_id for a in answers} == {p.pk for p in household}
    assert not any(a.symptomatic for a in answers)
    reply = InboundMessage.objects.get()
    assert reply.outbox is not None
    assert reply.outbox.purpose == "daily_checkin"
    assert reply.state == InboundState.HANDLED


def test_yes_from_a_shared_phone_is_recorded_and_flagged_for_staff(household: list[Any]) -> None:
    _text("Sí")
    assert CheckInAnswer.objects.filter(symptomatic=True).count() == 2
    assert InboundMessage.objects.get().state == InboundState.NEEDS_STAFF


def test_yes_from_one_persons_phone_is_just_recorded(personas: Any, twilio: FakeTwilio) -> None:
    person = monitoree(personas.a.jurisdiction, PHONE)
    enqueue("sms", "daily_checkin", person=person, address=PHONE)
    Dispatcher(threads=1).run(once=True)
    _text("yes")
    answer = CheckInAnswer.objects.get()
    assert (answer.person_id, answer.symptomatic, answer.channel) == (person.pk, True, "sms")
    assert InboundMessage.objects.get().state == InboundState.HANDLED


def test_an_answer_without_a_question_needs_staff(twilio: FakeTwilio) -> None:
    _text("yes")
    assert not CheckInAnswer.objects.exists()
    assert InboundMessage.objects.get().state == InboundState.NEEDS_STAFF


def test_anything_else_needs_staff_and_a_redelivery_is_recorded_once(
    household: list[Any],
) -> None:
    params = {"MessageSid": "SM-same", "From": PHONE, "To": FROM, "Body": "who is this?"}
    _post(INBOUND, params)
    _post(INBOUND, params)
    reply = InboundMessage.objects.get()
    assert reply.state == InboundState.NEEDS_STAFF
    assert reply.person_id in {p.pk for p in household}


def _receipt(row: OutboxMessage, status: str, *, sid: str | None = None, code: str = "") -> Any:
    path = f"/outreach/twilio/status/?key={row.key}&attempt={row.attempts}"
    params = {"MessageSid": sid or row.provider_id, "MessageStatus": status}
    if code:
        params["ErrorCode"] = code
    return _post(path, params)


def test_a_delivery_receipt_marks_the_row_delivered(household: list[Any]) -> None:
    row = OutboxMessage.objects.filter(purpose="daily_checkin").first()
    assert row is not None
    assert _receipt(row, "delivered").status_code == 204
    row.refresh_from_db()
    assert row.state == State.DELIVERED
    assert row.delivered_at is not None


def test_a_receipt_of_another_message_changes_nothing(household: list[Any]) -> None:
    row = OutboxMessage.objects.filter(purpose="daily_checkin").first()
    assert row is not None
    _receipt(row, "delivered", sid="SM" + "f" * 32)
    row.refresh_from_db()
    assert row.state == State.SENT


def test_undelivered_30003_is_tried_again_later(household: list[Any]) -> None:
    row = OutboxMessage.objects.filter(purpose="daily_checkin").first()
    assert row is not None
    _receipt(row, "undelivered", code="30003")
    row.refresh_from_db()
    assert (row.state, row.error_code, row.provider_id) == (State.QUEUED, "30003", "")
    assert row.next_attempt_at > timezone.now()


def test_undelivered_21610_opts_the_number_out(household: list[Any]) -> None:
    row = OutboxMessage.objects.filter(purpose="daily_checkin").first()
    assert row is not None
    _receipt(row, "undelivered", code="21610")
    row.refresh_from_db()
    assert row.state == State.FAILED
    assert Suppression.objects.filter(address=PHONE, lifted_at__isnull=True).exists()


def test_a_receipt_for_a_row_stuck_sending_records_its_sid(household: list[Any]) -> None:
    row = OutboxMessage.objects.filter(purpose="daily_checkin").first()
    assert row is not None
    sid = row.provider_id
    OutboxMessage.objects.filter(pk=row.pk).update(
        state=State.SENDING, provider_id="", sending_since=timezone.now()
    )
    row.refresh_from_db()
    _receipt(row, "sent", sid=sid)
    row.refresh_from_db()
    assert (row.state, row.provider_id) == (State.SENT, sid)
