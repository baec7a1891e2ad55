"""Next: claim the best item a tracer may work, atomically.

On PostgreSQL the claim is one short transaction of two statements. The
first locks the best row: ``SELECT ... ORDER BY priority DESC, id LIMIT 1
FOR UPDATE SKIP LOCKED`` on the partial index that matches that order (the
tracer's assigned items first, then the pool, in one statement). The second
claims it and writes its claim-log row (``UPDATE ... RETURNING`` feeding an
``INSERT``) and brings back what the page and the audit event need. Two
tracers pressing Next at the same instant lock different rows; neither waits
for the other. The claim's timestamp is taken between the two, after the row
lock, for the reason below. SQLite
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
import functools
from dataclasses import replace
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.audit.choices import Action
from epitrace.audit.services import record
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.core.grants import quoted_names
from epitrace.core.statements import Asker, bind, marker_values
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
    held, expired = _claims_now(user, timezone.now())
    if expired:
        release_expired()
    if held >= conf.max_claims():
        raise QueueError(
            _("You already hold %(n)d items: complete or release one first.") % {"n": held}
        )
    for _round in range(ROUNDS):
        item, contended = _claim_once(worker, request)
        if item is not None or not contended:
            return item
    return None


def _claims_now(user: Any, now: dt.datetime) -> tuple[int, bool]:
    """(items ``user`` holds, whether any claim has expired): one look at the claimed items.

    Only claimed rows are read (a few per tracer at work, on their partial
    indexes), so the two questions cost one statement instead of two. It is
    written out once (every Next asks; building the ORM's aggregate cost
    more than running it), with the state in the text so that a prepared,
    generic plan can still use the partial indexes.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _claims_sql(connection.vendor), [user.pk, connection.ops.adapt_datetimefield_value(now)]
        )
        held, expired = cursor.fetchone()
    return int(held or 0), bool(expired)


@functools.cache
def _claims_sql(vendor: str) -> str:
    """Per kind of database (its quoting)."""
    table, column = quoted_names(WorkItem, connection)
    assert State.CLAIMED.value.isalpha()  # spliced in as a literal: a code, never input
    return (
        f"SELECT SUM(CASE WHEN {column('claimed_by')} = %s THEN 1 ELSE 0 END),"  # noqa: S608
        f" SUM(CASE WHEN {column('claim_expires_at')} <= %s THEN 1 ELSE 0 END)"
        f" FROM {table} WHERE {column('state')} = '{State.CLAIMED.value}'"
    )


def candidates(worker: Worker, now: dt.datetime) -> tuple[QuerySet[WorkItem], QuerySet[WorkItem]]:
    """(items given to this tracer, the pool items they may take), best first."""
    return _candidates(worker, *_clock(now))


def _clock(now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """Now; before it, an unclaimed language goes to anyone; after it, a release is recent."""
    return now, now - conf.language_wait(), now - conf.release_cooldown()


def _candidates(
    worker: Worker, now: dt.datetime, language_wait: dt.datetime, cooldown: dt.datetime
) -> tuple[QuerySet[WorkItem], QuerySet[WorkItem]]:
    user = worker.user
    workable = WorkItem.objects.restrict(user, "change").filter(
        state=State.OPEN, available_at__lte=now
    )
    assigned = workable.filter(assignee=user.pk)
    pool = (
        workable.filter(assignee__isnull=True, queue_id__in=worker.queues)
        .filter(Q(team__isnull=True) | Q(team_id__in=worker.teams))
        # An item in a language nobody took for a while goes to anyone (an interpreter line).
        .filter(Q(language__in=worker.languages) | Q(available_at__lte=language_wait))
        .exclude(released_by=user.pk, released_at__gt=cooldown)
    )
    order = ("-priority", "id")
    return assigned.order_by(*order), pool.order_by(*order)


def _claim_once(worker: Worker, request: HttpRequest | None) -> tuple[WorkItem | None, bool]:
    """One attempt: (the claimed item or None, whether others won every candidate)."""
    user = worker.user
    with transaction.atomic():  # one short transaction: the lock, the claim, its log
        item, contended = None, False
        if connection.vendor == "postgresql":
            item = _claim_best(worker)
        else:
            for queryset in candidates(worker, timezone.now()):
                item, contended = _conditional_claim(
                    queryset.select_related("case", "exposure"), user
                )
                if item is not None or contended:
                    break
            if item is not None:
                assert item.claimed_at is not None
                ClaimLog.objects.create(item_id=item.pk, user=user, claimed_at=item.claimed_at)
        if item is None:
            return None, contended
        record(
            Action.UPDATE,
            actor=user,
            obj=item,
            person_id=item.person_id,
            request=request,
            reason="claim",
        )
    return item, False


def _claim_best(worker: Worker) -> WorkItem | None:
    """PostgreSQL: lock the first row nobody else holds, then claim it and log the claim."""
    lock, slots = _lock_statement(worker)
    values = (worker.user.pk, *_clock(timezone.now()))
    params = [values[i] if i is not None else constant for i, constant in slots]
    with connection.cursor() as cursor:
        cursor.execute(lock, params)
        row = cursor.fetchone()
    if row is None:
        return None
    item = _take_and_log(row[0], worker.user)
    # PostgreSQL re-checked state='open' on the row it locked: the claim must have won.
    if item is None:
        raise QueueError(_("The item was taken by someone else; press Next again."))
    return item


# The locking read of each (jurisdictions, queues, teams, languages), compiled
# once: building and compiling it cost more than running it (core/statements.py).
_LOCKS: dict[tuple[Any, ...], tuple[str, list[tuple[int | None, Any]]]] = {}
_TIMES = frozenset({1, 2, 3})


def _lock_statement(worker: Worker) -> tuple[str, list[tuple[int | None, Any]]]:
    """The lock's SQL and its parameters: (user id, now, language wait, cooldown) or constants."""
    capability = "queues.change_workitem"
    ids = visible_jurisdiction_ids(worker.user, capability)
    key = (ids, worker.queues, worker.teams, worker.languages)
    found = _LOCKS.get(key)
    if found is None:
        user, now, language_wait, cooldown = marker_values(4, _TIMES)
        stand_in = replace(worker, user=Asker(user, now, capability, ids))
        picks = [
            queryset.values("pk")[:1].select_for_update(skip_locked=True, of=("self",))
            for queryset in _candidates(stand_in, now, language_wait, cooldown)
        ]
        sqls, params = [], []
        for pick in picks:
            sql, pick_params = pick.query.get_compiler(connection=connection).as_sql()
            sqls.append(sql)
            params += pick_params
        # The assigned items come first; the pool is read only when none is left.
        # Only table names and Django's own compiled SQL are spliced in; values are parameters.
        lock = f"WITH assigned(id) AS ({sqls[0]}), pool(id) AS ({sqls[1]}) " + (  # noqa: S608
            "SELECT id FROM assigned UNION ALL SELECT id FROM pool LIMIT 1"
        )
        marks = [user, now, language_wait, cooldown]
        found = _LOCKS[key] = (lock, bind(marks, _TIMES, params, connection))
    return found


_FIELDS = list(WorkItem._meta.concrete_fields)
# Table and column names from the models; every value is a parameter.
_CLAIM_SQL = f"""
WITH claimed AS (
    UPDATE {WorkItem._meta.db_table} AS w
    SET state = %(claimed)s, claimed_by_id = %(user)s, claimed_at = %(stamp)s,
        claim_expires_at = %(expires)s, updated_at = %(stamp)s
    WHERE w.id = %(item)s AND w.state = %(open)s
    RETURNING {", ".join(f"w.{f.column}" for f in _FIELDS)}
), logged AS (
    INSERT INTO {ClaimLog._meta.db_table} (item_id, user_id, claimed_at, released_at, ended)
    SELECT id, %(user)s, %(stamp)s, NULL, '' FROM claimed
    RETURNING item_id
)
SELECT claimed.*, c.person_id, e.contact_id
FROM claimed
JOIN logged ON logged.item_id = claimed.id
LEFT JOIN {Case._meta.db_table} AS c ON c.id = claimed.case_id
LEFT JOIN {Exposure._meta.db_table} AS e ON e.id = claimed.exposure_id
"""  # noqa: S608


def _take_and_log(pk: int, user: Any) -> WorkItem | None:
    """The claim UPDATE and its claim-log row in one statement; the claimed item, or None.

    The item comes back with a bare case (its person) or exposure (its
    contact): what the audit event and the work page's address need, without
    reading either row again.
    """
    stamp = timezone.now()  # after the lock: later than the end of any earlier claim
    values = {
        "claimed": State.CLAIMED,
        "open": State.OPEN,
        "user": user.pk,
        "stamp": stamp,
        "expires": stamp + conf.claim_timeout(),
        "item": pk,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, values)
        row = cursor.fetchone()
    if row is None:
        return None
    names = [f.attname for f in _FIELDS]
    item = WorkItem.from_db(connection.alias, names, row[: len(names)])
    person_id, contact_id = row[len(names) :]
    # Only the ids are known: any other field of these loads on access, like .only().
    if item.case_id is not None:
        item.case = Case.from_db(connection.alias, ["id", "person_id"], [item.case_id, person_id])
    elif item.exposure_id is not None:
        item.exposure = Exposure.from_db(
            connection.alias, ["id", "contact_id"], [item.exposure_id, contact_id]
        )
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
