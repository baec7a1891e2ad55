"""The work queue's service API: open, claim (Next), complete, release, list.

Other parts of Epitrace call these (the interview screen, contact
elicitation, monitoring's non-responder job); the queue's own views call the
same functions. Each is atomic and audited under the acting user.

- :func:`open_item` puts a task in the queue of its record's jurisdiction.
  Idempotent: asking again for a task that is already waiting returns it.
- :func:`next_item` (claims.py) claims the best item a tracer may work.
- :func:`complete_item` records the outcome; an attempt that did not reach
  the person sends the item back to the queue after a delay, up to the
  maximum number of attempts.
- :func:`release_item` gives a claimed item back; :func:`keep_item`
  extends the claim while the tracer is working on it.
- :func:`items_for_case` lists the case's items and its contacts' items.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from epitrace.accounts.models import Team
from epitrace.accounts.scope import system_user
from epitrace.audit.choices import Action
from epitrace.audit.services import record_change, snapshot
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.core.statements import Restricted, Statement
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.queues import conf
from epitrace.queues.choices import EXPOSURE_KINDS, ClaimEnd, Kind, Outcome, State
from epitrace.queues.claims import next_item, release_expired
from epitrace.queues.ending import end_claim
from epitrace.queues.errors import NotVisible, QueueError
from epitrace.queues.facts import case_facts, exposure_facts
from epitrace.queues.models import WorkItem
from epitrace.queues.sync import case_priority, exposure_priority

__all__ = [
    "NotVisible",
    "QueueError",
    "complete_item",
    "items_for_case",
    "keep_item",
    "next_item",
    "open_item",
    "release_expired",
    "release_item",
]

# The audited columns of an item (the rest is bookkeeping).
AUDITED = (
    "state",
    "queue",
    "team",
    "assignee",
    "priority",
    "due_at",
    "available_at",
    "claimed_by",
    "completed_by",
    "outcome",
    "attempts",
    "note",
)


def open_item(
    kind: str,
    *,
    case: Case | None = None,
    exposure: Exposure | None = None,
    due: dt.datetime | None = None,
    team: Team | None = None,
    note: str = "",
    acting_user: Any = None,
    request: HttpRequest | None = None,
) -> WorkItem:
    """Queue a task about ``case`` or ``exposure``; the active one if it is already queued.

    ``due`` is when the task should be done: for a callback, the agreed time
    (it is not offered before), else a deadline (default: the profile's
    ``due_hours`` after now). ``team`` keeps the task to one team.
    """
    _check_record(kind, case, exposure)
    if due is not None and timezone.is_naive(due):
        raise ValueError("due must be an aware datetime")
    actor = acting_user or system_user()
    now = timezone.now()
    item = _build(kind, case, exposure, due, note, now)
    if team is not None:
        _check_team(team, item.jurisdiction_id)
        item.team = team
    try:
        with transaction.atomic():
            item.save()
            record_change(
                actor, item, {}, snapshot(item, AUDITED), action=Action.CREATE, request=request
            )
    except IntegrityError:
        return _existing(kind, case, exposure, due, note, actor, request)
    return item


def complete_item(
    item: WorkItem | int,
    user: Any,
    outcome: str,
    *,
    note: str = "",
    request: HttpRequest | None = None,
) -> WorkItem:
    """Record what came of the claimed ``item``; ``user`` must hold the claim.

    ``item`` by id: a request's, looked up among the items ``user`` may change
    as it is locked (NotVisible when it is not one of them).
    """
    if outcome not in Outcome.values:
        raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(Outcome.values)}")
    with transaction.atomic():
        held = _held(item, user)
        before = snapshot(held, AUDITED)
        now = timezone.now()
        retry = outcome == Outcome.NOT_REACHED and held.attempts + 1 < conf.max_attempts()
        held.attempts += outcome == Outcome.NOT_REACHED
        if note:
            held.note = note[:300]
        if retry:
            _back_to_queue(held, now, available=now + conf.retry_delay())
            ended = ClaimEnd.RETRY
        else:
            _unclaim(held)
            held.state, held.outcome = State.DONE, outcome
            held.completed_by_id, held.completed_at = user.pk, now
            ended = ClaimEnd.COMPLETED
        end_claim(held, now, ended)
        record_change(user, held, before, snapshot(held, AUDITED), request=request, reason=ended)
    return held


def release_item(
    item: WorkItem | int, user: Any, *, request: HttpRequest | None = None
) -> WorkItem:
    """Give a claimed item back to its queue, now; ``user`` must hold the claim
    (``item`` by id as for :func:`complete_item`)."""
    with transaction.atomic():
        held = _held(item, user)
        before = snapshot(held, AUDITED)
        now = timezone.now()
        _back_to_queue(held, now, available=now)
        held.released_by_id, held.released_at = user.pk, now
        end_claim(held, now, ClaimEnd.RELEASED)
        record_change(
            user, held, before, snapshot(held, AUDITED), request=request, reason="release"
        )
    return held


def keep_item(item: WorkItem | int, user: Any) -> WorkItem:
    """Extend the claim: the tracer is still working on it (the page's heartbeat;
    ``item`` by id as for :func:`complete_item`)."""
    with transaction.atomic():
        held = _held(item, user)
        held.claim_expires_at = timezone.now() + conf.claim_timeout()
        held.save(update_fields=["claim_expires_at", "updated_at"])
    return held


def items_for_case(case: Case) -> QuerySet[WorkItem]:
    """The case's items and those of the exposures elicited from it, newest first.

    Not restricted: the caller holds the case (from a restricted queryset), and
    the jurisdiction that elicited a contact keeps sight of its follow-up.
    """
    return (
        WorkItem.objects.filter(Q(case=case) | Q(exposure__case=case))
        .select_related("claimed_by", "completed_by", "exposure__contact", "team")
        .order_by("-created_at", "-id")
    )


# --- Building an item -------------------------------------------------------------------


def _check_record(kind: str, case: Case | None, exposure: Exposure | None) -> None:
    if kind not in Kind.values:
        raise ValueError(f"unknown work item kind {kind!r}; one of {', '.join(Kind.values)}")
    if (case is None) == (exposure is None):
        raise ValueError("give exactly one of case or exposure")
    if kind == Kind.INVESTIGATION and case is None:
        raise ValueError("a case investigation needs a case")
    if kind in EXPOSURE_KINDS and exposure is None:
        raise ValueError(f"a {kind} item needs an exposure")


def _build(
    kind: str,
    case: Case | None,
    exposure: Exposure | None,
    due: dt.datetime | None,
    note: str,
    now: dt.datetime,
) -> WorkItem:
    if case is not None:
        fact = case_facts([case.pk])[case.pk]
        jurisdiction, language, queue = fact.jurisdiction_id, fact.language, fact.queue_id
        priority, due_hours = case_priority(fact, kind, now), fact.factors.weights.due_hours
    else:
        assert exposure is not None
        efact = exposure_facts([exposure.pk])[exposure.pk]
        jurisdiction, language, queue = efact.jurisdiction_id, efact.language, efact.queue_id
        priority, due_hours = exposure_priority(efact, kind, now), efact.factors.weights.due_hours
    callback = kind == Kind.CALLBACK and due is not None
    return WorkItem(
        kind=kind,
        case=case,
        exposure=exposure,
        jurisdiction_id=jurisdiction,
        queue_id=queue,
        language=language,
        priority=priority,
        available_at=due if callback and due is not None else now,
        due_at=due or now + dt.timedelta(hours=due_hours),
        note=note[:300],
    )


def _check_team(team: Team, jurisdiction_id: int) -> None:
    """A team works the items of its jurisdiction's subtree only."""
    path = Jurisdiction.objects.filter(pk=jurisdiction_id).values_list("path", flat=True).get()
    if not path.startswith(team.jurisdiction.path):
        raise ValueError(f"team {team.pk} does not work the jurisdiction of this item")


def _existing(
    kind: str,
    case: Case | None,
    exposure: Exposure | None,
    due: dt.datetime | None,
    note: str,
    actor: Any,
    request: HttpRequest | None,
) -> WorkItem:
    """The item the unique indexes kept; a callback's new time and note replace the old."""
    items = WorkItem.objects.filter(kind=kind).exclude(state=State.CANCELLED)
    item = (items.filter(case=case) if case else items.filter(exposure=exposure)).first()
    if item is None:  # nothing matched: the IntegrityError was something else
        raise QueueError(_("The work item could not be created."))
    if kind == Kind.CALLBACK and item.state == State.OPEN and (due or note):
        with transaction.atomic():
            before = snapshot(item, AUDITED)
            if due is not None:
                item.available_at = item.due_at = due
            item.note = note[:300] or item.note
            item.save()
            record_change(actor, item, before, snapshot(item, AUDITED), request=request)
    return item


# --- Claims ----------------------------------------------------------------------------------


def _locking(items: QuerySet[WorkItem], pk: int) -> QuerySet[WorkItem]:
    """The read every outcome, release and heartbeat starts with: the item, locked."""
    return items.select_for_update(of=("self",)).select_related("case", "exposure").filter(pk=pk)


# Compiled once (core/statements.py); the second among the items the user may
# change, for an item asked for by id: a view's outcome then needs no other read.
_LOCKED = Statement(lambda pk: _locking(WorkItem.objects.all(), pk))
_LOCKED_VISIBLE = Restricted(WorkItem, _locking, "change")


def _held(item: WorkItem | int, user: Any) -> WorkItem:
    """The item locked for update, if ``user`` still holds its claim."""
    if isinstance(item, WorkItem):
        found = _LOCKED.fetch(item.pk)
    else:
        found = _LOCKED_VISIBLE.fetch(user, item)
        if not found:
            raise NotVisible(item)
    held = found[0] if found else None
    if held is None or held.state != State.CLAIMED or held.claimed_by_id != user.pk:
        raise QueueError(
            _("This item is no longer yours: it was completed, reassigned or its claim expired.")
        )
    return held


def _unclaim(item: WorkItem) -> None:
    item.claimed_by_id = item.claimed_at = item.claim_expires_at = None


def _back_to_queue(item: WorkItem, now: dt.datetime, *, available: dt.datetime) -> None:
    _unclaim(item)
    item.state, item.available_at = State.OPEN, available
