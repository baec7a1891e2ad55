"""Daily monitoring's service API: record a check-in answer, open follow-up work.

Every channel records an answer through :func:`do_record_checkin`: an SMS
reply YES/NO (outreach/inbound.py), the portal's daily form (for oneself or
for a household member), a call logged by staff. A symptomatic answer from a
contact in quarantine puts a monitoring follow-up in the queue of the
contact's jurisdiction: a tracer calls to arrange testing and to see whether
the contact has become a case.

A case in isolation is expected to have symptoms: its answers feed the
release rules (diseases/rules) and open no work by themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from epitrace.accounts.scope import system_user
from epitrace.audit.services import Action, record, record_change, snapshot
from epitrace.contacts.choices import MonitoringStatus
from epitrace.contacts.models import Exposure
from epitrace.outreach.choices import State
from epitrace.outreach.models import CheckInAnswer, InboundMessage, OutboxMessage
from epitrace.outreach.window import next_opening
from epitrace.people.models import ContactWindow, Person
from epitrace.queues.choices import Kind
from epitrace.queues.models import WorkItem
from epitrace.queues.services import open_item

__all__ = [
    "CHANNELS",
    "CheckInError",
    "do_record_checkin",
    "do_set_contact_window",
    "open_symptomatic_followups",
]

# How an answer came in (stored in CheckInAnswer.channel, at most 8 characters).
CHANNELS = frozenset({"sms", "email", "portal", "phone", "staff"})
MAX_SYMPTOMS = 40


class CheckInError(ValueError):
    """An answer that cannot be recorded as given."""


def do_record_checkin(
    *,
    person: Person,
    day: dt.date,
    symptomatic: bool,
    channel: str,
    symptoms: Iterable[str] = (),
    reporter: Person | None = None,
    acting_user: Any = None,
    inbound: InboundMessage | None = None,
    outbox: OutboxMessage | None = None,
) -> CheckInAnswer:
    """Record ``person``'s answer for their local ``day``; audited, atomic.

    ``reporter`` is who answered when not the person (a guardian, the head
    of household); ``symptoms`` are symptom codes, which make the answer
    symptomatic. A symptomatic answer opens (or keeps) a monitoring
    follow-up item for each exposure the person is monitored for.
    """
    codes = _clean_symptoms(symptoms)
    symptomatic = symptomatic or bool(codes)
    if channel not in CHANNELS:
        raise CheckInError(f"unknown check-in channel {channel!r}")
    if person.deceased_date is not None or person.purged_at is not None:
        raise CheckInError("no check-in is recorded for a deceased or purged person")
    if reporter is not None and reporter.pk == person.pk:
        reporter = None
    actor = acting_user or system_user()
    with transaction.atomic():
        answer = CheckInAnswer.objects.create(
            person=person,
            day=day,
            symptomatic=symptomatic,
            symptoms=codes,
            channel=channel,
            reporter=reporter,
            received_at=timezone.now(),
            inbound=inbound,
            outbox=outbox,
        )
        record(
            Action.CREATE,
            actor=actor,
            obj=answer,
            person_id=person.pk,
            jurisdiction_id=person.jurisdiction_id,
            reason=f"check-in by {channel}",
            payload={
                "day": day.isoformat(),
                "symptomatic": symptomatic,
                "symptoms": codes,
                "reporter_id": reporter.pk if reporter else None,
            },
        )
        if symptomatic:
            open_symptomatic_followups([person.pk], acting_user=actor)
    return answer


def open_symptomatic_followups(person_ids: Iterable[int], *, acting_user: Any) -> list[WorkItem]:
    """A monitoring follow-up for each exposure under monitoring of these persons.

    ``open_item`` is idempotent: a follow-up already waiting or being worked
    is kept, not doubled, and the note says why it is there.
    """
    exposures = Exposure.objects.filter(
        contact_id__in=list(person_ids), monitoring_status=MonitoringStatus.MONITORING
    ).order_by("pk")
    note = gettext("Reported symptoms at the daily check-in.")
    return [
        open_item(Kind.MONITORING, exposure=exposure, note=note, acting_user=acting_user)
        for exposure in exposures
    ]


def do_set_contact_window(
    person: Person, window: str, *, acting_user: Any, request: Any = None
) -> Person:
    """Set the part of the day ``person`` is messaged in; their queued messages follow it.

    Messages already queued keep their key (one per day) and move to the new
    part of the day; those being sent are left alone.
    """
    if window not in ContactWindow.values:
        raise CheckInError(f"unknown contact window {window!r}")
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        before = snapshot(locked, ["contact_window"])
        locked.contact_window = window
        locked.save(update_fields=["contact_window", "updated_at"])
        record_change(
            acting_user, locked, before, snapshot(locked, ["contact_window"]), request=request
        )
        queued = OutboxMessage.objects.filter(person=locked, state=State.QUEUED)
        now = timezone.now()
        for row in queued.only("pk", "time_zone", "next_attempt_at"):
            due = next_opening(max(row.next_attempt_at, now), row.time_zone, window)
            OutboxMessage.objects.filter(pk=row.pk, state=State.QUEUED).update(
                send_window=window, next_attempt_at=due, updated_at=now
            )
    return locked


def _clean_symptoms(symptoms: Iterable[str]) -> list[str]:
    codes: list[str] = []
    for raw in symptoms:
        code = str(raw).strip().lower()[:40]
        if code and code not in codes:
            codes.append(code)
    if len(codes) > MAX_SYMPTOMS:
        raise CheckInError("too many symptoms in one answer")
    return codes
