"""E-mail over a real SMTP server, EN code requests, and the console transport of the demo."""

from __future__ import annotations

import datetime as dt
import json
from email import message_from_bytes
from typing import Any

import pytest
from django.utils import timezone

from epitrace.outreach.choices import Skip, State, SuppressionReason
from epitrace.outreach.dispatcher.worker import Dispatcher
from epitrace.outreach.keys import message_id, request_uuid
from epitrace.outreach.models import DispatcherWorker, OutboxMessage, Suppression
from epitrace.outreach.services import enqueue
from epitrace.outreach.tests.conftest import Mailbox
from epitrace.outreach.transports.console.transport import console_file
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db
LINK = "https://portal.example.org/t/Zx81Qp"


def _run() -> dict[str, int]:
    return Dispatcher(threads=2, batch=10).run(once=True).as_dict()


def _stuck(row: OutboxMessage) -> None:
    worker = DispatcherWorker.objects.create(
        hostname="gone", pid=1, heartbeat_at=timezone.now() - dt.timedelta(minutes=5)
    )
    OutboxMessage.objects.filter(pk=row.pk).update(
        state=State.SENDING, worker=worker, attempts=1, sending_since=timezone.now()
    )


def test_email_goes_through_smtp_with_a_message_id_from_its_key(
    smtp: Mailbox, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Epitrace <outreach@health.example.org>"
    settings.EPITRACE_OUTREACH_SENDER_NAME = "Springfield Health Department"
    person = f.PersonFactory.create(preferred_language="es")
    rows = [
        enqueue(
            "email",
            "self_interview",
            person=person,
            address="maria@example.org",
            context={"link": LINK},
        ),
        enqueue("email", "closing", person=person, address="maria@example.org"),
    ]
    assert _run()["sent"] == 2
    assert len(smtp.envelopes) == 2
    received = {
        message["Message-ID"]: message
        for message in (message_from_bytes(e.original_content) for e in smtp.envelopes)
    }
    first = received[message_id(rows[0].key, "health.example.org")]
    assert first["From"] == "Springfield Health Department <outreach@health.example.org>"
    assert first["Subject"] == rows[0].subject
    assert message_id(rows[1].key, "health.example.org") in received
    assert "formulario" in rows[0].body
    for row in rows:
        row.refresh_from_db()
        assert row.state == State.SENT


def test_a_refused_mailbox_fails_and_is_opted_out(smtp: Mailbox) -> None:
    row = enqueue("email", "closing", person=f.PersonFactory.create(), address="nobody@example.org")
    _run()
    row.refresh_from_db()
    assert (row.state, row.error_code) == (State.FAILED, "550")
    assert Suppression.objects.get(address="nobody@example.org").reason == SuppressionReason.BOUNCE
    assert not smtp.envelopes


def test_an_email_interrupted_mid_send_is_not_sent_again(smtp: Mailbox) -> None:
    row = enqueue("email", "closing", person=f.PersonFactory.create(), address="m@example.org")
    _stuck(row)
    summary = _run()
    row.refresh_from_db()
    assert summary["unknown"] == 1
    assert (row.state, row.error_code) == (State.FAILED, Skip.OUTCOME_UNKNOWN)
    assert not smtp.envelopes


def test_an_en_code_request_is_idempotent_at_the_server(en_server: dict[str, Any]) -> None:
    payload = {"testType": "confirmed", "testDate": "2026-01-05", "tzOffset": -300}
    row = enqueue(
        "en",
        "en_verification",
        person=f.PersonFactory.create(),
        address="+18605551234",
        payload=payload,
    )
    _run()
    row.refresh_from_db()
    assert row.state == State.SENT
    sent = en_server[request_uuid(row.key)]
    assert sent["phone"] == "+18605551234"
    assert sent["testType"] == "confirmed"
    # A crash after the request left: repeating it is safe, the server knows the uuid.
    _stuck(row)
    OutboxMessage.objects.filter(pk=row.pk).update(provider_id="")
    _run()
    row.refresh_from_db()
    assert row.state == State.SENT
    assert len(en_server) == 1


def test_the_console_transport_writes_a_line_and_finds_it_after_a_crash(
    settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    settings.EPITRACE_SMS_TRANSPORT = "console"
    settings.EPITRACE_OUTREACH_WINDOW = "00:00-23:59"
    row = enqueue("sms", "closing", person=f.PersonFactory.create(), address="+18605551234")
    _run()
    row.refresh_from_db()
    lines = console_file().read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["key"] == row.key
    sent_as = row.provider_id
    _stuck(row)
    OutboxMessage.objects.filter(pk=row.pk).update(provider_id="")
    summary = _run()
    row.refresh_from_db()
    assert summary["reconciled"] == 1
    assert row.provider_id == sent_as
    assert len(console_file().read_text().splitlines()) == 1
