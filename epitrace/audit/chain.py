"""Appending events to the hash chains.

A chain is one UTC day and one writer slot ("2025-03-14/007"). To append, a
writer locks the chain's head row, numbers its events after the head, links
each to the previous hash and moves the head, all in the caller's
transaction: a rolled-back change leaves no audit row behind, and a committed
one always has its row.

Why slots: the head lock is held until the caller commits, so one chain for
everyone would make 200 tracers and the importer queue behind each other.
Each thread prefers its own slot (from process and thread id) and, on
PostgreSQL, skips a head another transaction holds (``SKIP LOCKED``) and
takes the next free one; it waits only when every slot of the day is busy.
SQLite has one writer at a time anyway (immediate transactions), so there
the lock is the transaction itself.

Cost: nearly every staff request appends one event, the importer thousands a
minute. So the statements are written out once, a single event (the common
case) goes in with one statement that also moves the head, and events are
made straight from the drafts, their header hashed without the general
JSON encoder (:func:`epitrace.audit.hashing.header_json`).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models.base import ModelState
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from epitrace.audit import conf
from epitrace.audit.hashing import (
    canonical_json,
    event_hash,
    genesis_hash,
    ledger_mac,
    payload_digest,
    utc_text,
)
from epitrace.audit.keys import HmacKey, keyring
from epitrace.audit.models import AuditChainHead, AuditEvent, AuditLedger, AuditPayload
from epitrace.core.bulkinsert import insert, new_instance

_local = threading.local()


@dataclass(slots=True)
class Draft:
    """An event before it has a place in a chain. ``payload`` None means none."""

    action: str
    actor_id: int | None
    actor_label: str
    object_type: str = ""
    object_id: str = ""
    person_id: int | None = None
    jurisdiction_id: int | None = None
    ip: str | None = None
    user_agent: str = ""
    reason: str = ""
    payload: Any = None


def chain_name(day: dt.date, slot: int) -> str:
    return f"{day:%Y-%m-%d}/{slot:03d}"


def append(drafts: Sequence[Draft]) -> list[AuditEvent]:
    """Write ``drafts`` as consecutive events of one chain, inside the caller's transaction."""
    if not drafts:
        return []
    key = keyring().chain
    now = timezone.now()
    day = now.astimezone(dt.UTC).date()
    if len(drafts) == 1 and connection.vendor == "postgresql":
        appended = _append_after_known(drafts[0], key, now, day)
        if appended is not None:
            return [appended]
    # No savepoint inside the caller's transaction (two round trips fewer per
    # audited request): an append that fails fails the whole transaction, so
    # the change it describes can never commit without its row.
    with transaction.atomic(savepoint=False):
        head = _lock_head(day)
        events, bodies = _chain_events(head.chain, head.last_seq, head.last_hash, drafts, key, now)
        if len(events) == 1 and connection.vendor == "postgresql":
            _write_one(head, events[0], bodies[0])
        else:
            insert(events)
            _fill_missing_ids(events)
            insert(
                [
                    AuditPayload(event_id=e.pk, body=b)
                    for e, b in zip(events, bodies, strict=True)
                    if b
                ]
            )
            _move_head(head, events[-1])
    _local.known = _Known(day, head.pk, head.chain, head.last_seq, head.last_hash)
    return events


def _chain_events(
    chain: str, seq: int, prev: str, drafts: Sequence[Draft], key: HmacKey, now: dt.datetime
) -> tuple[list[AuditEvent], list[str | None]]:
    """``drafts`` as the events after ``seq`` (whose hash is ``prev``) of ``chain``."""
    events: list[AuditEvent] = []
    bodies: list[str | None] = []
    key_id, occurred = key.key_id, utc_text(now)  # the same for the batch
    make = _new_event if _plain_event() else _made_event
    for draft in drafts:
        seq += 1
        body = None if draft.payload is None else canonical_json(draft.payload)
        event = make(
            {
                "id": None,
                "occurred_at": now,
                "chain": chain,
                "seq": seq,
                "key_id": key_id,
                "actor_id": draft.actor_id,
                "actor_label": draft.actor_label,
                "action": draft.action,
                "object_type": draft.object_type,
                "object_id": draft.object_id,
                "person_id": draft.person_id,
                "jurisdiction_id": draft.jurisdiction_id,
                "ip": draft.ip,
                "user_agent": draft.user_agent,
                "reason": draft.reason,
                "payload_digest": "" if body is None else payload_digest(key, body),
                "prev_hash": prev,
                "hash": "",
            }
        )
        event.hash = prev = event_hash(key, event, occurred)
        events.append(event)
        bodies.append(body)
    return events, bodies


@functools.cache
def _plain_event() -> bool:
    """Whether ``AuditEvent(**values)`` does no more than fill the instance's ``__dict__``:
    plain field attributes and no ``post_init`` receiver (as ``new_instance`` checks)."""
    return not post_init.has_listeners(AuditEvent) and all(
        isinstance(AuditEvent.__dict__.get(f.attname), DeferredAttribute)
        for f in AuditEvent._meta.concrete_fields
    )


def _new_event(values: dict[str, Any]) -> AuditEvent:
    """A new AuditEvent from every field's value (by attname), the way ``from_db`` makes one."""
    event = AuditEvent.__new__(AuditEvent)
    event._state = ModelState()
    event.__dict__.update(values)
    return event


def _made_event(values: dict[str, Any]) -> AuditEvent:
    return new_instance(AuditEvent, values)


def _fill_missing_ids(events: list[AuditEvent]) -> None:
    """Backends that cannot return ids from a bulk insert: read them back by (chain, seq)."""
    if all(e.pk is not None for e in events):
        return
    ids = dict(
        AuditEvent.objects.filter(
            chain=events[0].chain, seq__gte=events[0].seq, seq__lte=events[-1].seq
        ).values_list("seq", "id")
    )
    for event in events:
        event.pk = ids[event.seq]


def _event_ctes(rows: str, with_payload: bool) -> tuple[str, tuple[str, ...]]:
    """``e`` inserting the event from ``rows`` ("VALUES" or "SELECT" with a ``%s`` per
    field), then ``p`` its payload: the statement's part and the attnames whose values
    ``rows`` takes, in order."""
    meta = AuditEvent._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Names from the model only; every value is a parameter.
    payload = ", p AS (INSERT INTO audit_payload (event_id, body) SELECT id, %s FROM e)"
    ctes = (
        f"e AS (INSERT INTO {quote(meta.db_table)} ({columns}) {rows.format(marks=marks)}"
        f" RETURNING {quote(meta.pk.column)} AS id){payload if with_payload else ''}"
    )
    return ctes, tuple(f.attname for f in fields)


@functools.cache
def _one_event_sql(with_payload: bool) -> tuple[str, tuple[str, ...]]:
    """PostgreSQL: one event, its payload and the head's move in one statement (the
    statement and the attnames whose values it takes, in order)."""
    ctes, names = _event_ctes("VALUES ({marks})", with_payload)
    return f"WITH {ctes} {_MOVE_SQL} RETURNING (SELECT id FROM e)", names  # noqa: S608


def _write_one(head: AuditChainHead, event: AuditEvent, body: str | None) -> None:
    sql, names = _one_event_sql(body is not None)
    head.last_seq, head.last_hash = event.seq, event.hash
    updated_at = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [*_event_params(event, names, body), head.last_seq, head.last_hash, updated_at]
    if _run_one(sql, [*params, head.pk], event) is None:
        # the head did not move: refuse, as _move_head does
        raise DatabaseError(f"audit chain head {head.chain} was not moved")


def _event_params(event: AuditEvent, names: Sequence[str], body: str | None) -> list[Any]:
    """The values ``_event_ctes`` takes: the event's fields by attname, then its payload."""
    values = event.__dict__
    return [values[name] for name in names] + ([] if body is None else [body])


def _run_one(sql: str, params: list[Any], event: AuditEvent) -> AuditEvent | None:
    """Run a one-event statement; ``event`` saved with its id, or None if nothing was written."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    event.pk = row[0]
    event._state.adding = False
    event._state.db = connection.alias
    return event


# --- After the head this thread moved last ---------------------------------------


@dataclass(slots=True, frozen=True)
class _Known:
    """A head as this thread last left it: others may have moved it since."""

    day: dt.date
    pk: int
    chain: str
    seq: int
    hash: str


def _append_after_known(
    draft: Draft, key: HmacKey, now: dt.datetime, day: dt.date
) -> AuditEvent | None:
    """PostgreSQL: one event after the head this thread moved last, in one statement.

    A tracer's page appends one event: locking a head, then writing, is two
    round trips, and four with the transaction around them. Here the event is
    chained after the head as this thread left it, and written only if the
    head is still there, unheld by another transaction (``SKIP LOCKED``): the
    head's lock, the event, its payload and the head's move are one statement,
    atomic without a transaction of its own. None when the head moved or is
    held (or on a new day): the caller then locks a head as usual.
    """
    known: _Known | None = getattr(_local, "known", None)
    if known is None or known.day != day:
        return None
    events, bodies = _chain_events(known.chain, known.seq, known.hash, [draft], key, now)
    event, body = events[0], bodies[0]
    sql, names = _after_known_sql(body is not None)
    updated_at = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list[Any] = [known.pk, known.chain, known.seq, known.hash]
    params += [event.seq, event.hash, updated_at, *_event_params(event, names, body)]
    written = _run_one(sql, params, event)
    moved = _Known(day, known.pk, known.chain, event.seq, event.hash)
    _local.known = moved if written is not None else None
    return written


# The known head if no one moved it and no other transaction holds it, moved on.
_KNOWN_HEAD_SQL = (
    "WITH h AS (SELECT id FROM audit_chain_head WHERE id = %s AND chain = %s"
    " AND last_seq = %s AND last_hash = %s FOR UPDATE SKIP LOCKED),"
    " m AS (UPDATE audit_chain_head AS c SET last_seq = %s, last_hash = %s,"
    " updated_at = %s FROM h WHERE c.id = h.id RETURNING c.id),"
)


@functools.cache
def _after_known_sql(with_payload: bool) -> tuple[str, tuple[str, ...]]:
    """The head (if unmoved and free), its move, the event and its payload: one statement."""
    ctes, names = _event_ctes("SELECT {marks} FROM m", with_payload)
    return f"{_KNOWN_HEAD_SQL} {ctes} SELECT id FROM e", names  # noqa: S608


# --- The head lock ------------------------------------------------------------


def _preferred_slot(slots: int) -> int:
    last = getattr(_local, "slot", None)
    if isinstance(last, int) and last < slots:
        return last  # keep to the chain this thread already holds in its transaction
    return hash((os.getpid(), threading.get_ident())) % slots


@functools.lru_cache(maxsize=256)
def _slot_names(day: dt.date, start: int, slots: int) -> tuple[tuple[str, ...], str]:
    """The day's chains from slot ``start`` on, and the same as a PostgreSQL array literal
    (chain names are digits, dashes and slashes: nothing to quote)."""
    names = tuple(chain_name(day, (start + i) % slots) for i in range(slots))
    return names, "{" + ",".join(names) + "}"


def _lock_head(day: dt.date) -> AuditChainHead:
    slots = conf.writer_slots()
    names, array = _slot_names(day, _preferred_slot(slots), slots)
    head = _try_lock(names, array)
    if head is None and not AuditChainHead.objects.filter(chain__in=names).exists():
        _create_heads(day, slots)
        head = _try_lock(names, array)
    if head is None:  # every slot of the day is busy: queue for our own
        head = AuditChainHead.objects.select_for_update().get(chain=names[0])
    _local.slot = int(head.chain.rsplit("/", 1)[1])
    return head


# The head lock is taken on every audited request, so its statements are
# written out once here rather than built by the ORM each time (building the
# ordered CASE over sixteen chains cost more than all the rest of an append).
# PostgreSQL: the first head of ``names``, in that order of preference, that
# no other transaction holds; held ones are skipped (SKIP LOCKED).
_HEAD_FIELDS = ("id", "chain", "last_seq", "last_hash")
_SKIP_LOCKED_SQL = (
    "SELECT id, chain, last_seq, last_hash FROM audit_chain_head"
    " WHERE chain = ANY(%s::text[]) ORDER BY array_position(%s::text[], chain::text)"
    " LIMIT 1 FOR UPDATE SKIP LOCKED"
)
# Elsewhere (SQLite: one writer at a time, the transaction is the lock): the
# preferred head alone, locked where the database can lock rows.
_FIRST_SQL = "SELECT id, chain, last_seq, last_hash FROM audit_chain_head WHERE chain = %s"
_MOVE_SQL = (
    "UPDATE audit_chain_head SET last_seq = %s, last_hash = %s, updated_at = %s WHERE id = %s"
)


def _try_lock(names: Sequence[str], array: str) -> AuditChainHead | None:
    """``array``: ``names`` as one PostgreSQL array literal, quicker to send than a list."""
    params: list[Any]
    if connection.vendor == "postgresql":
        sql, params = _SKIP_LOCKED_SQL, [array, array]
    else:
        sql, params = _FIRST_SQL, [names[0]]
        if connection.features.has_select_for_update:
            sql += " FOR UPDATE"
    if not connection.in_atomic_block:
        raise TransactionManagementError("the audit chain head is locked inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    # Only the fields an append reads and moves; the timestamps stay deferred.
    return AuditChainHead.from_db(connection.alias, list(_HEAD_FIELDS), row)


def _move_head(head: AuditChainHead, last: AuditEvent) -> None:
    """``head.save(update_fields=[...])`` as one precompiled UPDATE."""
    head.last_seq, head.last_hash = last.seq, last.hash
    updated_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_MOVE_SQL, [head.last_seq, head.last_hash, updated_at, head.pk])
        if cursor.rowcount != 1:  # as save(update_fields=...) refuses to move nothing
            raise DatabaseError(f"audit chain head {head.chain} was not moved")


def _create_heads(day: dt.date, slots: int) -> None:
    """All of the day's heads at once; a concurrent creator's rows win quietly."""
    ledger = ensure_ledger().ledger
    names = [chain_name(day, slot) for slot in range(slots)]
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(chain=n, last_seq=0, last_hash=genesis_hash(ledger, n)) for n in names],
        ignore_conflicts=True,
    )


def ensure_ledger() -> AuditLedger:
    """This installation's ledger, created (and MACed with the chain key) on first use."""
    ledger = AuditLedger.objects.first()
    if ledger is not None:
        return ledger
    key = keyring().chain
    created = timezone.now()
    name = str(uuid.uuid4())
    AuditLedger.objects.bulk_create(
        [
            AuditLedger(
                ledger=name,
                created_at=created,
                key_id=key.key_id,
                mac=ledger_mac(key, name, created),
            )
        ],
        ignore_conflicts=True,
    )
    return AuditLedger.objects.get()
