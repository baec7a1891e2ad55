"""Next: claim the best item a tracer may work, atomically.

On PostgreSQL the claim is one short transaction: ``SELECT ... ORDER BY
priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED`` on the queue's partial
index, then the UPDATE and the claim-log row. Two tracers pressing Next at
the same instant lock different rows; neither waits for the other. SQLite
has no row locks: there the claim is a conditional ``UPDATE ... WHERE
state = 'open'`` whose row count says who won, retried on the next
candidate (and SQLite's immediate transactions serialise writers anyway).

Claims expire: an item claimed and left alone longer than the claim timeout
goes back to its queue at the next Next (or the minute job), and its claim
is closed in the log as expired. The timestamps of a claim's end and of the
next claim's start are taken after the row lock is held, so the log's
intervals of one item never overlap unless two tracers truly held it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from epitrace.audit.choices import Action
from epitrace.audit.services import record
from epitrace.queues import conf
from epitrace.queues.choices import ClaimEnd, State
from epitrace.queues.errors import QueueError
from epitrace.queues.models import ClaimLog, WorkItem
from epitrace.queues.workers import Worker, worker_for

SQLITE_CANDIDATES = 5  # rows tried per round when another tracer wins the first
ROUNDS = 3
EXPIRY_BATCH = 200


def next_item(user: Any, *, request: HttpRequest | None = None) -> WorkItem | None:
    """Claim and return the highest-priority item ``user`` may work, or None."""
    worker = worker_for(user)
    if not worker.works:
        raise QueueError(_("You do not work any queue: ask your supervisor for a tracer role."))
    release_expired()
    held = WorkItem.objects.filter(state=State.CLAIMED, claimed_by=user).count()
    if held >= conf.max_claims():
        raise QueueError(
            _("You already hold %(n)d items: complete or release one first.") % {"n": held}
        )
    for _round in range(ROUNDS):
        item, contended = _claim_once(worker, request)
        if item is not None or not contended:
            return item
    return None


def candidates(worker: Worker, now: dt.datetime) -> tuple[QuerySet[WorkItem], QuerySet[WorkItem]]:
    """(items given to this tracer, the pool items they may take), best first."""
    user = worker.user
    workable = WorkItem.objects.restrict(user, "change").filter(
        state=State.OPEN, available_at__lte=now
    )
    assigned = workable.filter(assignee=user)
    pool = (
        workable.filter(assignee__isnull=True, queue_id__in=worker.queues)
        .filter(Q(team__isnull=True) | Q(team_id__in=worker.teams))
        # An item in a language nobody took for a while goes to anyone (an interpreter line).
        .filter(Q(language__in=worker.languages) | Q(available_at__lte=now - conf.language_wait()))
        .exclude(released_by=user, released_at__gt=now - conf.release_cooldown())
    )
    order = ("-priority", "id")
    return assigned.order_by(*order), pool.order_by(*order)


def _claim_once(worker: Worker, request: HttpRequest | None) -> tuple[WorkItem | None, bool]:
    """One attempt: (the claimed item or None, whether others won every candidate)."""
    user = worker.user
    with transaction.atomic():  # one short transaction: the lock, the claim, its log
        item, contended = None, False
        for queryset in candidates(worker, timezone.now()):
            queryset = queryset.select_related("case", "exposure")
            if connection.features.has_select_for_update_skip_locked:
                item = _lock_first(queryset, user)
            else:
                item, contended = _conditional_claim(queryset, user)
            if item is not None or contended:
                break
        if item is None:
            return None, contended
        assert item.claimed_at is not None
        ClaimLog.objects.create(item_id=item.pk, user=user, claimed_at=item.claimed_at)
        record(
            Action.UPDATE,
            actor=user,
            obj=item,
            person_id=item.person_id,
            request=request,
            reason="claim",
        )
    return item, False


def _lock_first(queryset: QuerySet[WorkItem], user: Any) -> WorkItem | None:
    """PostgreSQL: the first row nobody else holds, locked until our commit, claimed."""
    item = queryset.select_for_update(skip_locked=True, of=("self",)).first()
    if item is None:
        return None
    # PostgreSQL re-checked state='open' on the row it locked: this update must win.
    if not _take(item, user):
        raise QueueError(_("The item was taken by someone else; press Next again."))
    return item


def _conditional_claim(queryset: QuerySet[WorkItem], user: Any) -> tuple[WorkItem | None, bool]:
    """SQLite: UPDATE ... WHERE id = ? AND state = 'open'; the row count says who won."""
    items = list(queryset[:SQLITE_CANDIDATES])
    for item in items:
        if _take(item, user):
            return item, False
    return None, bool(items)


def _take(item: WorkItem, user: Any) -> bool:
    """The conditional claim UPDATE; on success ``item`` carries the claim."""
    stamp = timezone.now()  # after the lock: later than the end of any earlier claim
    expires = stamp + conf.claim_timeout()
    updated = WorkItem.objects.filter(pk=item.pk, state=State.OPEN).update(
        state=State.CLAIMED,
        claimed_by_id=user.pk,
        claimed_at=stamp,
        claim_expires_at=expires,
        updated_at=stamp,
    )
    if updated != 1:
        return False
    item.state, item.claimed_by_id = State.CLAIMED, user.pk
    item.claimed_at, item.claim_expires_at, item.updated_at = stamp, expires, stamp
    return True


def release_expired(now: dt.datetime | None = None) -> int:
    """Return claims idle past the timeout to their queue; returns how many."""
    now = now or timezone.now()
    expired = WorkItem.objects.filter(state=State.CLAIMED, claim_expires_at__lte=now)
    if not expired.exists():  # the usual case: one indexed look, no transaction
        return 0
    with transaction.atomic():
        ids = list(
            expired.select_for_update(skip_locked=True).values_list("pk", flat=True)[:EXPIRY_BATCH]
        )
        if not ids:
            return 0
        stamp = timezone.now()
        count = expired.filter(pk__in=ids).update(
            state=State.OPEN,
            claimed_by=None,
            claimed_at=None,
            claim_expires_at=None,
            available_at=stamp,
            updated_at=stamp,
        )
        ClaimLog.objects.filter(item_id__in=ids, released_at__isnull=True).update(
            released_at=stamp, ended=ClaimEnd.EXPIRED
        )
    return count
