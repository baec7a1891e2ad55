"""Supervisors' tools: reassign items in bulk, hand an LHD's queue to the state and back.

A supervisor (capability ``workqueues.assign``) acts on the items of their
jurisdiction subtree only; an item outside it looks exactly like a missing
one. Every change is audited, one event per item, inside the transaction
that makes it, and re-checked there (style rule 3).

Targets of a reassignment:

- a tracer: the item comes first in their Next (``assignee``), in its queue;
- a team: only that team's tracers may take it, from the team's queue;
- the state pool: the state's tracers work it (queue = the state).

A handover moves every active item of an LHD to the state's queue and sends
the LHD's new items there until it is handed back. The items stay the LHD's
records: only their queue changes, and the LHD keeps seeing them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from epitrace.accounts.models import Team, User
from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.audit.choices import Action
from epitrace.audit.services import ObjectRef, changes, record, record_bulk, snapshot
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.queues.choices import ACTIVE_STATES, ClaimEnd, State
from epitrace.queues.errors import QueueError
from epitrace.queues.models import ClaimLog, QueueHandover, WorkItem
from epitrace.queues.services import AUDITED
from epitrace.queues.workers import worker_for

ASSIGN_CAPABILITY = "workqueues.assign"
MIN_REASON = 5
RETARGETED = ["state", "queue", "team", "assignee", "claimed_by", "claimed_at"]
RETARGETED += ["claim_expires_at", "available_at", "updated_at"]


class NotFound(Exception):
    """An item or jurisdiction the supervisor may not act on (answered 404)."""


@dataclass(frozen=True)
class Target:
    """Where reassigned items go: a tracer, a team, or (both empty) the state pool."""

    tracer: User | None = None
    team: Team | None = None

    @property
    def label(self) -> str:
        if self.tracer is not None:
            return f"tracer {self.tracer.pk}"
        if self.team is not None:
            return f"team {self.team.pk}"
        return "state pool"


def assign_scope(user: Any) -> frozenset[int] | None:
    """Jurisdiction ids the user supervises; None for the system (all)."""
    return visible_jurisdiction_ids(user, ASSIGN_CAPABILITY)


def supervised_items(user: Any) -> QuerySet[WorkItem]:
    """The items the user may see and reassign."""
    items = WorkItem.objects.restrict(user, "view")
    ids = assign_scope(user)
    return items if ids is None else items.filter(jurisdiction_id__in=ids)


def supervised_jurisdictions(user: Any) -> QuerySet[Jurisdiction]:
    ids = assign_scope(user)
    everything = Jurisdiction.objects.all()
    return everything if ids is None else everything.filter(pk__in=ids)


# --- Reassign --------------------------------------------------------------------------------


def do_reassign(
    item_ids: Collection[int],
    target: Target,
    *,
    acting_user: Any,
    reason: str = "",
    request: HttpRequest | None = None,
) -> int:
    """Send these items to ``target``; every id must be the supervisor's (else NotFound)."""
    ids = sorted({int(pk) for pk in item_ids})
    if not ids:
        raise QueueError("Select at least one item.")
    with transaction.atomic():
        items = list(
            supervised_items(acting_user)
            .select_for_update(of=("self",))
            .select_related("case", "exposure", "jurisdiction")
            .filter(pk__in=ids, state__in=list(ACTIVE_STATES))
            .order_by("pk")
        )
        if len(items) != len(ids):
            raise NotFound
        queue = _target_queue(target, items)
        now = timezone.now()
        befores = [snapshot(item, AUDITED) for item in items]
        for item in items:
            _retarget(item, target, queue, now)
        WorkItem.objects.bulk_update(items, RETARGETED)
        ClaimLog.objects.filter(item_id__in=ids, released_at__isnull=True).update(
            released_at=now, ended=ClaimEnd.REASSIGNED
        )
        _audit_items(acting_user, items, befores, f"reassign to {target.label}. {reason}", request)
    return len(items)


def _target_queue(target: Target, items: list[WorkItem]) -> Jurisdiction | None:
    """The queue the items go to (None: each keeps its own), checking the target can work them."""
    if target.tracer is not None and target.team is not None:
        raise QueueError("Choose a tracer or a team, not both.")
    if target.tracer is not None:
        worker = worker_for(target.tracer)
        reach = WorkItem.objects.restrict(target.tracer, "change")
        reachable = set(reach.filter(pk__in=[i.pk for i in items]).values_list("pk", flat=True))
        if not worker.works or len(reachable) != len(items):
            raise QueueError(f"{target.tracer} cannot work all of these items.")
        return None
    if target.team is not None:
        path = target.team.jurisdiction.path
        if any(not item.jurisdiction.path.startswith(path) for item in items):
            raise QueueError(f"Team {target.team} does not cover all of these items.")
        return target.team.jurisdiction
    return Jurisdiction.objects.root()


def _retarget(item: WorkItem, target: Target, queue: Jurisdiction | None, now: dt.datetime) -> None:
    if item.state == State.CLAIMED:  # the holder's claim ends; the item waits for its new owner
        item.state = State.OPEN
        item.claimed_by_id = item.claimed_at = item.claim_expires_at = None
        item.available_at = now
    item.assignee = target.tracer
    item.team = target.team
    if queue is not None:
        item.queue = queue
    item.updated_at = now


def _audit_items(
    actor: Any,
    items: list[WorkItem],
    befores: list[dict[str, Any]],
    reason: str,
    request: HttpRequest | None,
) -> None:
    refs = [
        ObjectRef(
            label=WorkItem._meta.label_lower,
            pk=item.pk,
            person_id=item.person_id,
            jurisdiction_id=item.jurisdiction_id,
        )
        for item in items
    ]
    payloads = [
        {"changes": changes(before, snapshot(item, AUDITED))}
        for item, before in zip(items, befores, strict=True)
    ]
    record_bulk(
        actor, Action.UPDATE, refs, payloads=payloads, reason=reason.strip(), request=request
    )


# --- Handover --------------------------------------------------------------------------------


def handover_target() -> Jurisdiction:
    """The state: whose tracers take over an LHD's queue."""
    return Jurisdiction.objects.root()


def do_hand_over(
    jurisdiction_id: int, *, acting_user: Any, reason: str, request: HttpRequest | None = None
) -> QueueHandover:
    """The state's tracers work the LHD's queue from now until it is handed back."""
    if len(reason.strip()) < MIN_REASON:
        raise QueueError("Give a reason for the handover.")
    with transaction.atomic():
        lhd = _supervised_lhd(jurisdiction_id, acting_user)
        state = handover_target()
        if QueueHandover.objects.filter(jurisdiction=lhd, ended_at__isnull=True).exists():
            raise QueueError(f"{lhd} is already handed over.")
        handover = QueueHandover.objects.create(
            jurisdiction=lhd, to_jurisdiction=state, reason=reason.strip(), started_by=acting_user
        )
        moved = _move_queue(lhd, frm=lhd, to=state, acting_user=acting_user, request=request)
        record(
            Action.UPDATE,
            actor=acting_user,
            obj=handover,
            jurisdiction_id=lhd.pk,
            request=request,
            reason=f"hand queue to {state.code}: {reason.strip()}",
            payload={"moved_items": moved},
        )
    return handover


def do_hand_back(
    jurisdiction_id: int, *, acting_user: Any, request: HttpRequest | None = None
) -> QueueHandover:
    """End the handover: the LHD's items in the state's queue return to the LHD's."""
    with transaction.atomic():
        lhd = _supervised_lhd(jurisdiction_id, acting_user)
        handover = (
            QueueHandover.objects.select_for_update()
            .filter(jurisdiction=lhd, ended_at__isnull=True)
            .first()
        )
        if handover is None:
            raise QueueError(f"{lhd} is not handed over.")
        handover.ended_by, handover.ended_at = acting_user, timezone.now()
        handover.save(update_fields=["ended_by", "ended_at"])
        moved = _move_queue(
            lhd,
            frm=handover.to_jurisdiction,
            to=lhd,
            acting_user=acting_user,
            request=request,
        )
        record(
            Action.UPDATE,
            actor=acting_user,
            obj=handover,
            jurisdiction_id=lhd.pk,
            request=request,
            reason="hand queue back",
            payload={"moved_items": moved},
        )
    return handover


def _supervised_lhd(jurisdiction_id: int, user: Any) -> Jurisdiction:
    lhd = supervised_jurisdictions(user).filter(pk=jurisdiction_id).first()
    if lhd is None:
        raise NotFound
    if lhd.is_root:
        raise QueueError("The state's own queue cannot be handed over.")
    return lhd


def _move_queue(
    lhd: Jurisdiction,
    *,
    frm: Jurisdiction,
    to: Jurisdiction,
    acting_user: Any,
    request: HttpRequest | None,
) -> int:
    """Move the LHD's active items from queue ``frm`` to ``to``; audited per item."""
    items = list(
        WorkItem.objects.select_for_update(of=("self",))
        .select_related("case", "exposure")
        .filter(jurisdiction=lhd, queue=frm, state__in=list(ACTIVE_STATES))
        .order_by("pk")
    )
    if not items:
        return 0
    befores = [snapshot(item, AUDITED) for item in items]
    now = timezone.now()
    for item in items:
        # The LHD's teams do not work in the state's queue, nor the state's back home.
        item.queue, item.team, item.updated_at = to, None, now
    WorkItem.objects.bulk_update(items, ["queue", "team", "updated_at"], batch_size=1000)
    _audit_items(acting_user, items, befores, f"queue moved to {to.code}", request)
    return len(items)
