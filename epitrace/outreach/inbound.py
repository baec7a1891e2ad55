"""Texts received on our number, and delivery receipts for texts we sent.

Replies are matched to people by the number they come from: several people
may share a phone, so a STOP from it stops them all (the opt-out is kept per
number), and a YES/NO answers the daily check-in of everyone who got that
day's question on it. Twilio retries a webhook it thinks failed, so each is
processed once per MessageSid.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epitrace.accounts.scope import system_user
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.monitoring.services import do_record_checkin
from epitrace.outreach import conf, services
from epitrace.outreach.choices import (
    Channel,
    InboundKind,
    InboundState,
    Purpose,
    State,
    SuppressionReason,
)
from epitrace.outreach.models import InboundMessage, OutboxMessage
from epitrace.outreach.transports import Transient
from epitrace.outreach.transports.twilio.errors import UNSUBSCRIBED, from_delivery_error
from epitrace.outreach.window import local_day, next_opening
from epitrace.people.models import ContactPoint, Person

# Twilio's own opt-out and opt-in keywords (Advanced Opt-Out defaults).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO", "AYUDA"})
YES_WORDS = frozenset({"YES", "Y", "SI", "SIM"})  # English, Spanish, Portuguese
NO_WORDS = frozenset({"NO", "N", "NAO"})  # NÃO, its accent folded away
ANSWERED_STATES = (State.SENDING, State.SENT, State.DELIVERED)
# An answer to a question older than this is not taken as a check-in.
ANSWER_DAYS = 1


def classify(body: str) -> str:
    """The keyword of a reply: the whole text, one word, accents and punctuation aside."""
    folded = unicodedata.normalize("NFKD", body.strip().upper())
    letters = "".join(c for c in folded if c.isalnum() or c.isspace()).strip()
    if letters in STOP_WORDS:
        return InboundKind.STOP
    if letters in START_WORDS:
        return InboundKind.START
    if letters in HELP_WORDS:
        return InboundKind.HELP
    if letters in YES_WORDS:
        return InboundKind.ANSWER_YES
    if letters in NO_WORDS:
        return InboundKind.ANSWER_NO
    return InboundKind.OTHER


def receive_sms(*, provider_id: str, from_: str, to: str, body: str) -> InboundMessage:
    """Record and act on one received text; the same MessageSid twice is done once."""
    existing = InboundMessage.objects.filter(provider_id=provider_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _receive(provider_id, from_, to, body)
    except IntegrityError:  # the same webhook, delivered twice at once
        return InboundMessage.objects.get(provider_id=provider_id)


def _receive(provider_id: str, from_: str, to: str, body: str) -> InboundMessage:
    kind = classify(body)
    persons = _persons_on(from_)
    inbound = InboundMessage(
        provider_id=provider_id[:64],
        from_address=from_[:254],
        to_address=to[:254],
        body=body,
        kind=kind,
        state=InboundState.HANDLED,
        person=persons[0] if persons else None,
        jurisdiction_id=persons[0].jurisdiction_id if persons else Jurisdiction.objects.root().pk,
    )
    inbound.save()
    actor = system_user()
    if kind == InboundKind.STOP:
        services.do_suppress(from_, Channel.SMS, SuppressionReason.STOP, acting_user=actor)
    elif kind == InboundKind.START:
        services.do_lift_suppression(from_, acting_user=actor, reason="START reply")
    elif kind == InboundKind.HELP:
        services.enqueue(
            Channel.SMS,
            Purpose.HELP_REPLY,
            address=from_,
            language=persons[0].preferred_language if persons else "en",
        )
    elif kind in (InboundKind.ANSWER_YES, InboundKind.ANSWER_NO):
        _answer(inbound, symptomatic=kind == InboundKind.ANSWER_YES)
    else:
        _needs_staff(inbound, "")
    return inbound


def _persons_on(phone: str) -> list[Person]:
    """The persons with this phone number, living ones first (the system's view)."""
    ids = ContactPoint.objects.filter(kind="phone", value=phone).values("person_id")
    people = Person.objects.filter(pk__in=ids, purged_at__isnull=True)
    return sorted(people, key=lambda p: (p.deceased_date is not None, p.pk))


def _answer(inbound: InboundMessage, *, symptomatic: bool) -> None:
    """A YES/NO to the last daily check-in question sent to this number."""
    asked = (
        OutboxMessage.objects.filter(
            address=inbound.from_address,
            channel=Channel.SMS,
            purpose=Purpose.DAILY_CHECKIN,
            state__in=ANSWERED_STATES,
            person__isnull=False,
        )
        .select_related("person")
        .order_by("-key_day", "-id")
    )
    latest = asked.first()
    today = local_day(timezone.now(), latest.time_zone) if latest else None
    if latest is None or today is None or latest.key_day < today - dt.timedelta(days=ANSWER_DAYS):
        _needs_staff(inbound, _("An answer with no recent check-in question on this number."))
        return
    questions = [q for q in asked.filter(key_day=latest.key_day) if q.person is not None]
    actor = system_user()
    answered: set[int] = set()
    for question in questions:
        for person in _answered_for(question):
            answered.add(person.pk)
            do_record_checkin(
                person=person,
                day=question.key_day,
                symptomatic=symptomatic,
                channel=Channel.SMS,
                reporter=question.person if person.pk != question.person_id else None,
                acting_user=actor,
                inbound=inbound,
                outbox=question,
            )
    inbound.outbox = latest
    inbound.person = latest.person
    inbound.jurisdiction_id = latest.jurisdiction_id
    fields = ["outbox", "person", "jurisdiction", "updated_at"]
    if symptomatic and len(answered) > 1:
        # One phone, several people, one YES: someone must ask who feels sick.
        inbound.state = InboundState.NEEDS_STAFF
        inbound.note = _("Shared phone: a YES for several people; find out who feels sick.")
        fields += ["state", "note"]
    inbound.save(update_fields=fields)


def _answered_for(question: OutboxMessage) -> list[Person]:
    """The persons one question asked about: its addressee, or the wards it covered.

    A guardian's question (epitrace.outreach.daily) names the monitored wards
    it was sent for in its payload; the answer counts for each of them.
    """
    assert question.person is not None
    ward_ids = [int(pk) for pk in (question.payload or {}).get("for", []) if str(pk).isdigit()]
    if not ward_ids:
        return [question.person]
    wards = Person.objects.filter(
        pk__in=ward_ids, deceased_date__isnull=True, purged_at__isnull=True
    ).order_by("pk")
    return list(wards)


def _needs_staff(inbound: InboundMessage, note: str) -> None:
    inbound.state = InboundState.NEEDS_STAFF
    inbound.note = note[:300]
    inbound.save(update_fields=["state", "note", "updated_at"])


# --- Delivery receipts ----------------------------------------------------------------------

DELIVERED = frozenset({"delivered", "read"})
FAILED = frozenset({"undelivered", "failed"})


def delivery_receipt(*, key: str, attempt: str, sid: str, status: str, error_code: str) -> bool:
    """Apply a Twilio status callback to its row; False when it is stale or unknown."""
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().filter(key=key).first()
        if row is None or not _current(row, attempt, sid):
            return False
        now = timezone.now()
        row.provider_id, row.provider_status = sid[:64], status[:32]
        fields = ["provider_id", "provider_status", "updated_at"]
        if status in DELIVERED:
            row.state, row.delivered_at = State.DELIVERED, now
            row.sent_at = row.sent_at or now
            fields += ["state", "delivered_at", "sent_at"]
        elif status in FAILED:
            fields += _delivery_failed(row, error_code, now)
        elif row.state in (State.SENDING, State.QUEUED):
            row.state, row.sent_at = State.SENT, row.sent_at or now
            fields += ["state", "sent_at"]
        row.unsure = False
        row.save(update_fields=[*fields, "unsure"])
    return True


def _current(row: OutboxMessage, attempt: str, sid: str) -> bool:
    if row.state in (State.FAILED, State.CANCELLED, State.DELIVERED):
        return False  # final: a late "sent" or "queued" receipt changes nothing
    if row.state == State.QUEUED and not row.unsure:
        return False  # waiting for a retry after a failure we already know of
    if row.provider_id and row.provider_id != sid:
        return False
    return not (attempt.isdigit() and int(attempt) != row.attempts)


def _delivery_failed(row: OutboxMessage, error_code: str, now: Any) -> list[str]:
    code = int(error_code) if error_code.isdigit() else 0
    row.error_code, row.error_text = str(code or "undelivered"), _("Not delivered")
    fields = ["error_code", "error_text"]
    if code == UNSUBSCRIBED:
        services.do_suppress(
            row.address,
            row.channel,
            SuppressionReason.PROVIDER_UNSUBSCRIBED,
            detail="delivery receipt 21610",
            acting_user=system_user(),
        )
    if issubclass(from_delivery_error(code), Transient) and row.attempts < conf.max_attempts():
        # The handset was off: try again later, as a new attempt with its own sid.
        row.state = State.QUEUED
        row.next_attempt_at = next_opening(
            now + conf.retry_delay(row.attempts), row.time_zone, row.send_window
        )
        row.provider_id, row.worker = "", None
        return [*fields, "state", "next_attempt_at", "worker"]
    row.state = State.FAILED
    return [*fields, "state"]
