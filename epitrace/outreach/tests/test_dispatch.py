"""The dispatcher against a local Twilio: send, retry, give up, opt out, reconcile."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from epitrace.outreach.choices import Skip, State, SuppressionReason
from epitrace.outreach.dispatcher.attempt import Lease
from epitrace.outreach.dispatcher.worker import Dispatcher
from epitrace.outreach.models import DispatcherWorker, OutboxMessage, Suppression
from epitrace.outreach.services import enqueue
from epitrace.outreach.tests.fakes.twilio_api import FakeTwilio
from epitrace.outreach.transports.twilio import aio as twilio_aio
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db
PHONE = "+18605551234"


@pytest.fixture(autouse=True, params=["asyncio", "threads"])
def _client_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case with Twilio's asynchronous client, and with its requests client
    (the one used when a proxy stands between us and Twilio)."""
    if request.param == "threads":
        monkeypatch.setattr(twilio_aio, "usable", lambda: False)


def _queue(phone: str = PHONE, purpose: str = "closing", **extra: Any) -> OutboxMessage:
    person = extra.pop("person", None) or f.PersonFactory.create()
    return enqueue("sms", purpose, person=person, address=phone, **extra)


def _run() -> dict[str, int]:
    return Dispatcher(threads=4, batch=10).run(once=True).as_dict()


def _due_now(row: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())


def _stuck(row: OutboxMessage, *, heartbeat_age: dt.timedelta) -> None:
    """The row as a dispatcher left it when it died mid-send."""
    worker = DispatcherWorker.objects.create(
        hostname="gone", pid=1, heartbeat_at=timezone.now() - heartbeat_age
    )
    OutboxMessage.objects.filter(pk=row.pk).update(
        state=State.SENDING,
        worker=worker,
        attempts=1,
        sending_since=timezone.now() - dt.timedelta(seconds=40),
        provider_id="",
        provider_status="",
        sent_at=None,
    )


def test_a_message_is_sent_once_with_its_key_in_the_callback(twilio: FakeTwilio) -> None:
    row = _queue()
    summary = _run()
    row.refresh_from_db()
    assert summary["sent"] == 1
    assert row.state == State.SENT
    assert row.attempts == 1
    [sent] = twilio.sent_to(PHONE)
    assert row.provider_id == sent["sid"]
    assert sent["body"] == row.body
    assert twilio.received[row.key] == 1
    # Nothing is due any more: a second run sends nothing.
    assert _run()["sent"] == 0
    assert twilio.received[row.key] == 1


def test_30003_is_retried_with_exponential_backoff(twilio: FakeTwilio) -> None:
    twilio.fail(PHONE, [30003, 30003])
    row = _queue()
    started = timezone.now()
    assert _run()["retry"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error_code) == (State.QUEUED, 1, "30003")
    assert dt.timedelta(seconds=59) <= row.next_attempt_at - started <= dt.timedelta(seconds=70)
    _due_now(row)
    again = timezone.now()
    _run()
    row.refresh_from_db()
    assert row.attempts == 2
    assert dt.timedelta(seconds=119) <= row.next_attempt_at - again <= dt.timedelta(seconds=130)
    _due_now(row)
    _run()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error_code) == (State.SENT, 3, "")
    assert twilio.received[row.key] == 1


def test_it_gives_up_after_the_last_attempt(twilio: FakeTwilio) -> None:
    twilio.fail(PHONE, [30003] * 5)
    row = _queue()
    for _ in range(3):
        _run()
        _due_now(row)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error_code) == (State.FAILED, 3, Skip.MAX_ATTEMPTS)
    assert not twilio.sent_to(PHONE)


def test_21610_opts_the_number_out_for_everyone_on_it(twilio: FakeTwilio) -> None:
    twilio.fail(PHONE, [21610])
    first = _queue()
    _run()
    later = _queue(purpose="self_interview", context={"link": "https://x.example/t/a"})
    first.refresh_from_db()
    assert (first.state, first.error_code) == (State.FAILED, "21610")
    assert Suppression.objects.get(address=PHONE).reason == SuppressionReason.PROVIDER_UNSUBSCRIBED
    assert (later.state, later.error_code) == (State.CANCELLED, Skip.SUPPRESSED)


def test_21610_cancels_what_was_already_queued_to_the_number(twilio: FakeTwilio) -> None:
    twilio.fail(PHONE, [21610])
    first = _queue()
    waiting = _queue(purpose="self_interview", context={"link": "https://x.example/t/a"})
    OutboxMessage.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(hours=1)
    )
    _run()
    waiting.refresh_from_db()
    first.refresh_from_db()
    assert first.state == State.FAILED
    assert (waiting.state, waiting.error_code) == (State.CANCELLED, Skip.SUPPRESSED)


def test_an_invalid_number_fails_without_opting_out(twilio: FakeTwilio) -> None:
    twilio.fail(PHONE, [21211])
    row = _queue()
    _run()
    row.refresh_from_db()
    assert (row.state, row.error_code) == (State.FAILED, "21211")
    assert not Suppression.objects.exists()


def test_a_person_who_died_since_gets_nothing(twilio: FakeTwilio) -> None:
    row = _queue()
    assert row.person is not None
    row.person.deceased_date = timezone.localdate()
    row.person.save()
    _run()
    row.refresh_from_db()
    assert (row.state, row.error_code) == (State.CANCELLED, Skip.DECEASED)
    assert not twilio.sent_to(PHONE)


def test_outside_the_window_at_send_time_the_row_waits(twilio: FakeTwilio, settings: Any) -> None:
    row = _queue()
    local = timezone.now().astimezone(dt.UTC).hour
    # A window that is closed now, whatever the hour the test runs at.
    start = (local + 12) % 24
    settings.EPITRACE_OUTREACH_WINDOW = f"{min(start, 22):02d}:00-{min(start, 22) + 1:02d}:00"
    settings.TIME_ZONE = "UTC"
    OutboxMessage.objects.filter(pk=row.pk).update(time_zone="UTC")
    summary = _run()
    row.refresh_from_db()
    assert summary["deferred"] == 1
    assert row.state == State.QUEUED
    assert row.attempts == 0
    assert row.next_attempt_at > timezone.now()
    assert not twilio.sent_to(PHONE)


def test_a_stuck_row_the_provider_has_is_marked_sent_without_resending(
    twilio: FakeTwilio,
) -> None:
    row = _queue()
    _run()
    row.refresh_from_db()
    sid = row.provider_id
    _stuck(row, heartbeat_age=dt.timedelta(minutes=5))
    summary = _run()
    row.refresh_from_db()
    assert summary["taken_back"] == 1
    assert summary["reconciled"] == 1
    assert (row.state, row.provider_id) == (State.SENT, sid)
    assert twilio.received[row.key] == 1
    assert len(twilio.sent_to(PHONE)) == 1


def test_a_stuck_row_the_provider_lacks_is_sent_once(twilio: FakeTwilio) -> None:
    row = _queue()
    _stuck(row, heartbeat_age=dt.timedelta(minutes=5))
    summary = _run()
    row.refresh_from_db()
    assert summary["taken_back"] == 1
    assert summary["reconciled"] == 0
    assert row.state == State.SENT
    assert row.attempts == 2
    assert twilio.received[row.key] == 1


def test_a_shared_phone_with_one_of_two_stuck_rows_sent_gets_the_other_once(
    twilio: FakeTwilio,
) -> None:
    first, second = _queue(), _queue()
    assert first.body == second.body  # same wording to the same number: only counting tells
    _run()
    first.refresh_from_db()
    # The provider has only the first: the second died before its request left.
    OutboxMessage.objects.filter(pk=second.pk).update(provider_id="")
    twilio.messages.pop(twilio.by_to[PHONE].pop())
    twilio.received[second.key] = 0
    _stuck(first, heartbeat_age=dt.timedelta(minutes=5))
    _stuck(second, heartbeat_age=dt.timedelta(minutes=5))
    _run()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == second.state == State.SENT
    assert first.provider_id != second.provider_id
    assert twilio.received[first.key] == twilio.received[second.key] == 1


def test_a_connection_lost_after_the_provider_took_it_is_not_resent(twilio: FakeTwilio) -> None:
    twilio.drop_after_accept(PHONE)
    row = _queue()
    assert _run()["unsure"] == 1
    row.refresh_from_db()
    assert row.state == State.QUEUED
    assert row.unsure
    _due_now(row)
    summary = _run()
    row.refresh_from_db()
    assert summary["reconciled"] == 1
    assert row.state == State.SENT
    assert twilio.received[row.key] == 1


def test_a_live_workers_rows_are_left_alone(twilio: FakeTwilio) -> None:
    row = _queue()
    _stuck(row, heartbeat_age=dt.timedelta(seconds=1))
    assert _run()["taken_back"] == 0
    row.refresh_from_db()
    assert row.state == State.SENDING
    assert not twilio.sent_to(PHONE)


def test_the_status_callback_url_names_the_row_and_attempt(twilio: FakeTwilio) -> None:
    row = _queue()
    _run()
    [sent] = twilio.sent_to(PHONE)
    callback = urlsplit(twilio.callbacks[sent["sid"]])
    assert (callback.scheme, callback.netloc) == ("https", "epitrace.example.org")
    assert callback.path == "/outreach/twilio/status/"
    assert parse_qs(callback.query) == {"key": [row.key], "attempt": ["1"]}


def test_a_lapsed_lease_forbids_sending_what_was_claimed_before(settings: Any) -> None:
    settings.EPITRACE_OUTREACH_LEASE_SECONDS = 30
    lease = Lease()
    epoch = lease.epoch
    assert lease.may_send(epoch)
    lease.renewed(time.monotonic() + 31)  # the heartbeat came back after a long pause
    assert lease.epoch == epoch + 1
    assert not lease.may_send(epoch)
    assert lease.may_send(lease.epoch)  # rows claimed after the pause may go
