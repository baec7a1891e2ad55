"""Writing what the providers said, a batch at a time.

Every write is fenced: ``WHERE id = ? AND worker_id = ? AND attempts = ?
AND state = 'sending'``. If another worker took the row back meanwhile (this
one was taken for dead), or a delivery receipt already moved it on, the
write changes nothing and the newer truth stands.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from epitrace.outreach import conf
from epitrace.outreach.choices import Skip, State
from epitrace.outreach.dispatcher.attempt import Outcome
from epitrace.outreach.dispatcher.claims import TABLE, Claimed
from epitrace.outreach.window import next_opening

FENCE = f"WHERE id = %s AND worker_id = %s AND attempts = %s AND state = '{State.SENDING}'"
SENT_SQL = (
    f"UPDATE {TABLE} SET state = '{State.SENT}', provider_id = %s, provider_status = %s, "  # noqa: S608
    "sent_at = %s, updated_at = %s, unsure = %s, error_code = '', error_text = '' " + FENCE
)
REQUEUE_SQL = (
    f"UPDATE {TABLE} SET state = '{State.QUEUED}', next_attempt_at = %s, unsure = %s, "  # noqa: S608
    "error_code = %s, error_text = %s, worker_id = NULL, sending_since = NULL, "
    "updated_at = %s, attempts = attempts - %s " + FENCE
)
FINAL_SQL = (
    f"UPDATE {TABLE} SET state = %s, error_code = %s, error_text = %s, "  # noqa: S608
    "updated_at = %s, unsure = FALSE " + FENCE
)


def write(worker_id: int, results: Sequence[tuple[Claimed, Outcome]]) -> Counter[str]:
    """Record a batch of outcomes; returns counts by outcome kind."""
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    sent: list[list[Any]] = []
    requeue: list[list[Any]] = []
    final: list[list[Any]] = []
    suppress: list[tuple[str, str, str, str]] = []
    counts: Counter[str] = Counter()
    found: list[tuple[Claimed, Outcome]] = []
    for row, outcome in results:
        fence = [row.id, worker_id, row.attempt]
        kind = _kind(row, outcome)
        counts[kind] += 1
        if kind == "sent" and outcome.looked_up:
            found.append((row, outcome))
        elif kind == "sent":
            accepted = outcome.accepted
            assert accepted is not None
            status = accepted.status[:32]
            sent.append([accepted.provider_id[:64], status, stamp, stamp, False, *fence])
        elif kind in {"retry", "unsure", "skipped", "deferred"}:
            requeue.append(_requeue(row, outcome, kind, now, stamp) + fence)
        else:
            code, text = _final_error(kind, outcome)
            state = State.CANCELLED if kind == "cancelled" else State.FAILED
            final.append([state, code, text, stamp, *fence])
            error = outcome.error
            if error is not None and error.suppress:
                suppress.append((row.address, row.channel, error.suppress, error.code))
    with transaction.atomic():
        with connection.cursor() as cursor:
            _write_sent(cursor, sent, worker_id, stamp)
            for sql, params in ((REQUEUE_SQL, requeue), (FINAL_SQL, final)):
                if params:
                    cursor.executemany(sql, params)
        counts["sent"] -= _found(worker_id, found, now, stamp)
        _suppress(suppress)
    return counts


def _found(
    worker_id: int, found: Sequence[tuple[Claimed, Outcome]], now: dt.datetime, stamp: Any
) -> int:
    """Rows a lookup found at the provider, one at a time; returns how many were not taken.

    Another worker may have matched the same provider message to another row
    on the same number an instant before: the unique provider id refuses the
    second, which goes back to be looked up again.
    """
    refused = 0
    for row, outcome in found:
        accepted = outcome.accepted
        assert accepted is not None
        fence = [row.id, worker_id, row.attempt]
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                params = [accepted.provider_id[:64], accepted.status[:32], stamp, stamp, False]
                cursor.execute(SENT_SQL, [*params, *fence])
        except IntegrityError:
            refused += 1
            again = _requeue(row, Outcome("skipped"), "skipped", now, stamp)
            with connection.cursor() as cursor:
                cursor.execute(REQUEUE_SQL, [*again, *fence])
    return refused


def _write_sent(cursor: Any, sent: list[list[Any]], worker_id: int, stamp: Any) -> None:
    """The common case, most rows of a batch: one statement on PostgreSQL, not one per row."""
    if not sent:
        return
    if connection.vendor != "postgresql":
        cursor.executemany(SENT_SQL, sent)
        return
    values = ", ".join(["(%s::bigint, %s::integer, %s, %s)"] * len(sent))
    params: list[Any] = []
    for provider_id, status, _sent_at, _updated, _unsure, pk, _worker, attempt in sent:
        params += [pk, attempt, provider_id, status]
    sql = (
        f"UPDATE {TABLE} AS m SET state = '{State.SENT}', provider_id = v.pid, "  # noqa: S608
        "provider_status = v.status, sent_at = %s, updated_at = %s, unsure = FALSE, "
        f"error_code = '', error_text = '' FROM (VALUES {values}) AS v(id, attempts, pid, status) "
        f"WHERE m.id = v.id AND m.worker_id = %s AND m.attempts = v.attempts "
        f"AND m.state = '{State.SENDING}'"
    )
    cursor.execute(sql, [stamp, stamp, *params, worker_id])


def _kind(row: Claimed, outcome: Outcome) -> str:
    if outcome.kind == "retry" and row.attempt >= conf.max_attempts():
        return "gave_up"
    return outcome.kind


def _requeue(row: Claimed, outcome: Outcome, kind: str, now: dt.datetime, stamp: Any) -> list[Any]:
    adapt = connection.ops.adapt_datetimefield_value
    error = outcome.error
    code, text = (error.code, error.text) if error else ("", "")
    if kind in {"skipped", "deferred"}:
        # Not attempted: the attempt is given back, nothing changes but the time.
        when = now if kind == "skipped" else next_opening(now, row.time_zone, row.send_window)
        return [adapt(when), row.unsure, code, text, stamp, 1]
    when = next_opening(now + conf.retry_delay(row.attempt), row.time_zone, row.send_window)
    return [adapt(when), kind == "unsure", code, text, stamp, 0]


def _final_error(kind: str, outcome: Outcome) -> tuple[str, str]:
    if kind == "unknown":
        return Skip.OUTCOME_UNKNOWN, str(Skip.OUTCOME_UNKNOWN.label)
    if kind == "gave_up":
        error = outcome.error
        return Skip.MAX_ATTEMPTS, (error.text if error else "")[:300]
    error = outcome.error
    return (error.code, error.text) if error else ("", "")


def _suppress(found: Iterable[tuple[str, str, str, str]]) -> None:
    from epitrace.accounts.scope import system_user
    from epitrace.outreach.services import do_suppress

    actor = None
    for address, channel, reason, code in found:
        actor = actor or system_user()
        do_suppress(address, channel, reason, detail=f"provider error {code}", acting_user=actor)
