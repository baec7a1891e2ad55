"""Claiming due rows, and taking back the rows of dispatchers that died.

The claim is one statement that commits on its own (autocommit) before any
provider is called: the due rows become "sending", owned by this worker,
with their attempt counted. On PostgreSQL the rows are picked with
``FOR UPDATE SKIP LOCKED``, so any number of workers claim disjoint batches
without waiting for each other; on SQLite (one writer at a time) the same
UPDATE re-checks ``state = 'queued'`` on each row it changes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from epitrace.outreach import conf
from epitrace.outreach.choices import State
from epitrace.outreach.models import DispatcherWorker, OutboxMessage, Suppression
from epitrace.people.models import Person

TABLE = OutboxMessage._meta.db_table
COLUMNS = (
    "id, key, attempts, channel, address, subject, body, payload, unsure, person_id, "
    "time_zone, provider_id, language, created_at, send_window"
)
# Checked in the claim itself, not in two more round trips: has the address
# opted out, has the person died, since the row was queued?
SCREEN = (
    f"EXISTS (SELECT 1 FROM {Suppression._meta.db_table} s "  # noqa: S608
    "WHERE s.address = {t}.address AND s.lifted_at IS NULL), "
    f"EXISTS (SELECT 1 FROM {Person._meta.db_table} p "
    "WHERE p.id = {t}.person_id AND p.deceased_date IS NOT NULL)"
)


@dataclass
class Claimed:
    """A row this worker holds in "sending", for one attempt."""

    id: int
    key: str
    attempt: int
    channel: str
    address: str
    subject: str
    body: str
    payload: dict[str, Any]
    unsure: bool
    person_id: int | None
    time_zone: str
    provider_id: str
    language: str
    created_at: dt.datetime
    claimed_at: dt.datetime
    send_window: str = "any"
    suppressed: bool = False
    deceased: bool = False
    epoch: int = 0


def claim(worker_id: int, limit: int, now: dt.datetime | None = None) -> list[Claimed]:
    """Mark up to ``limit`` due rows "sending" for ``worker_id`` and return them."""
    now = now or timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    sets = (
        f"state = '{State.SENDING}', attempts = attempts + 1, worker_id = %s, "
        "sending_since = %s, updated_at = %s"
    )
    if connection.vendor == "postgresql":
        sql = (
            f"WITH due AS (SELECT id FROM {TABLE} WHERE state = '{State.QUEUED}' "  # noqa: S608
            "AND next_attempt_at <= %s ORDER BY next_attempt_at, id LIMIT %s "
            f"FOR UPDATE SKIP LOCKED) UPDATE {TABLE} AS m SET {sets} FROM due "
            f"WHERE m.id = due.id RETURNING {_prefixed('m.')}, {SCREEN.format(t='m')}"
        )
        params: list[Any] = [stamp, limit, worker_id, stamp, stamp]
    else:
        sql = (
            f"UPDATE {TABLE} SET {sets} WHERE state = '{State.QUEUED}' AND id IN "  # noqa: S608
            f"(SELECT id FROM {TABLE} WHERE state = '{State.QUEUED}' AND next_attempt_at <= %s "
            f"ORDER BY next_attempt_at, id LIMIT %s) RETURNING {COLUMNS}, " + SCREEN.format(t=TABLE)
        )
        params = [worker_id, stamp, stamp, stamp, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    claimed = [_claimed(row, now) for row in rows]
    claimed.sort(key=lambda c: c.id)
    return claimed


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):  # SQLite: naive UTC text
        value = parse_datetime(value)
    if value is None:
        return timezone.now()
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def _prefixed(prefix: str) -> str:
    return ", ".join(prefix + name.strip() for name in COLUMNS.split(","))


def _claimed(row: tuple[Any, ...], now: dt.datetime) -> Claimed:
    payload = row[7]
    if isinstance(payload, str):  # SQLite gives JSON back as text
        payload = json.loads(payload or "{}")
    return Claimed(
        id=row[0],
        key=row[1],
        attempt=row[2],
        channel=row[3],
        address=row[4],
        subject=row[5],
        body=row[6],
        payload=payload or {},
        unsure=bool(row[8]),
        person_id=row[9],
        time_zone=row[10],
        provider_id=row[11] or "",
        language=row[12],
        created_at=_aware(row[13]),
        claimed_at=now,
        send_window=row[14] or "any",
        suppressed=bool(row[15]),
        deceased=bool(row[16]),
    )


# --- Workers ---------------------------------------------------------------------------


def register(hostname: str, pid: int) -> DispatcherWorker:
    return DispatcherWorker.objects.create(hostname=hostname[:255], pid=pid)


def beat(worker_id: int) -> bool:
    """Renew the heartbeat; False when the worker row was stopped or removed."""
    return bool(
        DispatcherWorker.objects.filter(pk=worker_id, stopped_at__isnull=True).update(
            heartbeat_at=timezone.now()
        )
    )


def stop(worker_id: int) -> None:
    DispatcherWorker.objects.filter(pk=worker_id).update(stopped_at=timezone.now())


def take_back_orphans(now: dt.datetime | None = None) -> int:
    """Rows left "sending" by dead workers go back to the queue, to be looked up first.

    A worker is dead when its heartbeat is older than the lease (it stops
    sending well before that, see worker.py), or when it said it stopped. A
    row "sending" past the sending timeout is taken back whatever its worker.
    They are marked ``unsure``: the provider may have them already, so the
    next attempt asks it before sending (reconcile, in attempt.py).
    """
    now = now or timezone.now()
    dead = DispatcherWorker.objects.filter(
        Q(heartbeat_at__lt=now - conf.lease()) | Q(stopped_at__isnull=False)
    ).values("pk")
    stuck = OutboxMessage.objects.filter(state=State.SENDING).filter(
        Q(worker__isnull=True)
        | Q(worker__in=dead)
        | Q(sending_since__lt=now - conf.sending_timeout())
    )
    return stuck.update(
        state=State.QUEUED,
        unsure=True,
        worker=None,
        sending_since=None,
        next_attempt_at=now,
        updated_at=now,
    )


def forget_old_workers(now: dt.datetime | None = None) -> int:
    """Drop worker rows a day dead and holding nothing (they matter while rows point at them)."""
    now = now or timezone.now()
    old = DispatcherWorker.objects.filter(heartbeat_at__lt=now - dt.timedelta(days=1))
    holding = OutboxMessage.objects.filter(state=State.SENDING, worker__in=old.values("pk"))
    if holding.exists():
        return 0
    return int(old.delete()[0])
