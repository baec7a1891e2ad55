"""Keep the work items in step with their records, many at once.

:func:`sync_cases` is what the lab import's priority hook runs at the end of
each batch (epitrace/cases/priority.py): every open case whose investigation
is not finished gets its investigation item, every active item of those
cases gets its priority, jurisdiction and language refreshed, and items of
cases that were closed (or whose investigation ended) are cancelled. A fixed
number of statements per call, whatever the number of cases: no per-case
query. Two importers racing for one case create one item (a partial unique
index and ON CONFLICT DO NOTHING).

The same functions refresh every active item periodically (tasks.py), so
the waiting-time part of the score keeps growing between imports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from epitrace.cases.choices import CaseStatus, InvestigationStatus
from epitrace.contacts.choices import MonitoringStatus
from epitrace.core.bulkinsert import insert, new_instance
from epitrace.queues.bulk import update_rows
from epitrace.queues.choices import ACTIVE_STATES, ClaimEnd, Kind, Outcome, State
from epitrace.queues.facts import (
    CaseFacts,
    ExposureFacts,
    case_facts,
    exposure_facts,
    waiting_hours,
)
from epitrace.queues.models import ClaimLog, WorkItem
from epitrace.queues.scoring import score

# An investigation is still to do in these states; the others are its ends.
INVESTIGATION_TO_DO = (
    InvestigationStatus.NEW,
    InvestigationStatus.IN_PROGRESS,
    InvestigationStatus.ATTEMPTED,
)
CASE_KINDS = (Kind.INVESTIGATION, Kind.CALLBACK)
_FIELDS = ["pk", "kind", "state", "case_id", "exposure_id", "jurisdiction_id", "queue_id"]
_FIELDS += ["language", "priority", "created_at"]
_UPDATED = ("priority", "jurisdiction", "queue", "language", "updated_at")


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    case_priorities: dict[int, int] = field(default_factory=dict)  # the new scores
    previous: dict[int, int] = field(default_factory=dict)  # the cases' stored scores


def sync_cases(case_ids: Iterable[int], *, now: dt.datetime | None = None) -> SyncResult:
    """Investigation items for these cases: create, re-score, cancel (see module docstring)."""
    ids = set(case_ids)
    now = now or timezone.now()
    facts = case_facts(ids)
    result = SyncResult()
    if not facts:
        return result
    today = timezone.localdate(now)
    rows = list(
        WorkItem.objects.filter(case_id__in=facts, kind__in=CASE_KINDS)
        .exclude(state=State.CANCELLED)
        .order_by()
        .values(*_FIELDS)
    )
    # A done investigation is not redone: a later lab result adds no new call.
    has_investigation = {row["case_id"] for row in rows if row["kind"] == Kind.INVESTIGATION}
    items = [row for row in rows if row["state"] in ACTIVE_STATES]
    new: list[WorkItem] = []
    for fact in facts.values():
        result.previous[fact.pk] = fact.priority
        result.case_priorities[fact.pk] = score(
            fact.factors, Kind.INVESTIGATION, today=today, waiting_hours=0, contact=False
        )
        if _needs_investigation(fact) and fact.pk not in has_investigation:
            new.append(
                _new_item(
                    Kind.INVESTIGATION, fact, result.case_priorities[fact.pk], now, case_id=fact.pk
                )
            )
    stale, changed = [], []
    for row in items:
        fact = facts[row["case_id"]]
        if not _keeps(row["kind"], row["state"], fact):
            stale.append(row["pk"])
            continue
        wait = waiting_hours(row["created_at"], now)
        priority = score(fact.factors, row["kind"], today=today, waiting_hours=wait, contact=False)
        item = _changed(row, priority, fact.jurisdiction_id, fact.queue_id, fact.language, now)
        if item is not None:
            changed.append(item)
    _write(new, changed, stale, now, result)
    return result


def sync_exposure_items(exposure_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Re-score the active items of these exposures; cancel those of closed cases.

    Returns how many items changed. Exposure items are opened by people and
    jobs (open_item), never here: whether a contact needs a call is theirs to say.
    """
    now = now or timezone.now()
    facts = exposure_facts(set(exposure_ids))
    if not facts:
        return 0
    today = timezone.localdate(now)
    rows = _active_rows(WorkItem.objects.filter(exposure_id__in=facts))
    stale, changed = [], []
    for row in rows:
        fact = facts[row["exposure_id"]]
        closed = fact.case_id is not None and fact.case_status != CaseStatus.OPEN
        if closed and row["kind"] == Kind.NOTIFICATION:
            stale.append(row["pk"])  # a contact of a closed case is no longer notified
            continue
        wait = waiting_hours(row["created_at"], now)
        priority = score(fact.factors, row["kind"], today=today, waiting_hours=wait, contact=True)
        item = _changed(row, priority, fact.jurisdiction_id, fact.queue_id, fact.language, now)
        if item is not None:
            changed.append(item)
    result = SyncResult()
    _write([], changed, stale, now, result)
    return result.updated + result.cancelled


def open_notifications(exposure_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Contact-notification items for these exposures, where one is due; returns how many.

    Due when the contact has not been reached yet (monitoring not started) and
    the case is open (or there is no known case: a self-enrolled contact).
    Set-based like :func:`sync_cases`, for elicitation of many contacts at once
    and for loading data in bulk; one contact at a time, ``services.open_item``
    does the same and audits it.
    """
    now = now or timezone.now()
    facts = exposure_facts(set(exposure_ids))
    due = [
        fact
        for fact in facts.values()
        if (fact.case_id is None or fact.case_status == CaseStatus.OPEN)
        and fact.monitoring_status == MonitoringStatus.NOT_STARTED
    ]
    if not due:
        return 0
    active = set(
        WorkItem.objects.filter(
            exposure_id__in=[fact.pk for fact in due],
            kind=Kind.NOTIFICATION,
            state__in=list(ACTIVE_STATES),
        )
        .order_by()
        .values_list("exposure_id", flat=True)
    )
    new = [
        _new_item(
            Kind.NOTIFICATION,
            fact,
            exposure_priority(fact, Kind.NOTIFICATION, now),
            now,
            exposure_id=fact.pk,
        )
        for fact in due
        if fact.pk not in active
    ]
    # A concurrent caller may have opened some: theirs stand (a partial unique index).
    insert(new, skip_conflicts=True)
    return len(new)


def exposure_priority(fact: ExposureFacts, kind: str, now: dt.datetime) -> int:
    return score(fact.factors, kind, today=timezone.localdate(now), waiting_hours=0, contact=True)


def case_priority(fact: CaseFacts, kind: str, now: dt.datetime) -> int:
    return score(fact.factors, kind, today=timezone.localdate(now), waiting_hours=0, contact=False)


# --- Routing ---------------------------------------------------------------------------


def _needs_investigation(fact: CaseFacts) -> bool:
    return fact.status == CaseStatus.OPEN and fact.investigation_status in INVESTIGATION_TO_DO


def _keeps(kind: str, state: str, fact: CaseFacts) -> bool:
    """Whether an active item still has work to do on the case.

    A closed case ends all its work. An investigation recorded as finished
    ends a waiting investigation item; one being worked is left to its
    holder, who completes it with the outcome (the interview screen may
    record the status before it closes the item).
    """
    if fact.status != CaseStatus.OPEN:
        return False
    if kind != Kind.INVESTIGATION or state == State.CLAIMED:
        return True
    return fact.investigation_status in INVESTIGATION_TO_DO


def _new_item(
    kind: str, fact: CaseFacts | ExposureFacts, priority: int, now: dt.datetime, **about: int
) -> WorkItem:
    """A new item routed as its case's or exposure's facts say; ``about`` names the record."""
    return new_instance(
        WorkItem,
        {
            "kind": kind,
            **about,
            "jurisdiction_id": fact.jurisdiction_id,
            "queue_id": fact.queue_id,
            "language": fact.language,
            "priority": priority,
            "available_at": now,
            "due_at": now + dt.timedelta(hours=fact.factors.weights.due_hours),
        },
    )


def _active_rows(items: QuerySet[WorkItem]) -> list[dict[str, Any]]:
    return list(items.filter(state__in=list(ACTIVE_STATES)).order_by().values(*_FIELDS))


def _changed(
    row: dict[str, Any],
    priority: int,
    jurisdiction_id: int,
    routed_queue: int,
    language: str,
    now: dt.datetime,
) -> tuple[Any, ...] | None:
    """The row to write, ``(pk, *_UPDATED values)``, when a routed value changed; else None."""
    queue = row["queue_id"]
    if jurisdiction_id != row["jurisdiction_id"] and queue == row["jurisdiction_id"]:
        # The record moved (a transfer): its work moves with it, unless pooled elsewhere.
        queue = routed_queue
    new = (priority, jurisdiction_id, queue, language)
    if new == (row["priority"], row["jurisdiction_id"], row["queue_id"], row["language"]):
        return None
    return (row["pk"], *new, now)


def _write(
    new: list[WorkItem],
    changed: list[tuple[Any, ...]],
    stale: list[int],
    now: dt.datetime,
    result: SyncResult,
) -> None:
    with transaction.atomic(savepoint=False):  # no savepoint inside the import's transaction
        if new:
            # A concurrent importer may have created some: theirs stand.
            insert(new, skip_conflicts=True)
            result.created += len(new)
        if changed:
            update_rows(WorkItem, _UPDATED, changed)
            result.updated += len(changed)
        if stale:
            result.cancelled += cancel_items(stale, now=now)


def cancel_items(item_ids: Collection[int], *, now: dt.datetime) -> int:
    """Cancel active items (their work is no longer needed), closing any claim on them."""
    cancelled = WorkItem.objects.filter(pk__in=item_ids, state__in=list(ACTIVE_STATES)).update(
        state=State.CANCELLED,
        outcome=Outcome.NOT_NEEDED,
        claimed_by=None,
        claimed_at=None,
        claim_expires_at=None,
        updated_at=now,
    )
    if cancelled:
        ClaimLog.objects.filter(item_id__in=item_ids, released_at__isnull=True).update(
            released_at=now, ended=ClaimEnd.CANCELLED
        )
    return cancelled
