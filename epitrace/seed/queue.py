"""The synthetic state's work queue: what is waiting today, and the work already done.

Waiting work comes from the product's own set-based code (the lab import's
priority hook, and contact notifications): open cases whose investigation is
still to do, contacts not yet reached. Done work is the history a department
would have after months of tracing: one done investigation item per case
whose investigation ended, written in bulk (COPY on PostgreSQL) with its
outcome, so the queue tables have the shape they have in production (a
million rows, most of them done).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from epitrace.cases.priority import recompute
from epitrace.queues.choices import Kind, Outcome, State
from epitrace.queues.models import WorkItem
from epitrace.queues.sync import open_notifications
from epitrace.seed.generator import Batch
from epitrace.seed.writer import BulkWriter

# The investigation's end and the outcome the tracer recorded.
FINISHED = {
    "completed": Outcome.COMPLETED,
    "refused": Outcome.REFUSED,
    "unable_to_reach": Outcome.UNREACHABLE,
    "lost": Outcome.NOT_REACHED,
}
DUE = dt.timedelta(hours=24)


def queue_work(batch: Batch, writer: BulkWriter, anchor_time: dt.datetime) -> int:
    """Waiting and done items of the batch (after its records are written); returns how many."""
    open_cases = [row["id"] for row in batch.cases if row["status"] == "open"]
    made = recompute(open_cases).created
    waiting = [row["id"] for row in batch.exposures if row["monitoring_status"] == "not_started"]
    made += open_notifications(waiting)
    history = history_rows(batch, writer.next_id(WorkItem), anchor_time)
    writer.write(WorkItem, history)
    # The hook's inserts take ids from the sequence: move it past the ids written here.
    writer.reset_sequences([WorkItem])
    return made + len(history)


def history_rows(batch: Batch, first_id: int, anchor_time: dt.datetime) -> list[dict[str, Any]]:
    """One done investigation item per case of the batch whose investigation ended."""
    languages = {row["id"]: row["preferred_language"] for row in batch.persons}
    rows: list[dict[str, Any]] = []
    for case in batch.cases:
        outcome = FINISHED.get(case["investigation_status"])
        if outcome is None:
            continue
        opened = case["created_at"]
        done = min(case["closed_at"] or opened + dt.timedelta(days=1), anchor_time)
        done = max(done, opened)
        rows.append(
            {
                "id": first_id + len(rows),
                "created_at": opened,
                "updated_at": done,
                "kind": Kind.INVESTIGATION,
                "state": State.DONE,
                "case_id": case["id"],
                "jurisdiction_id": case["jurisdiction_id"],
                "queue_id": case["jurisdiction_id"],
                "language": languages.get(case["person_id"], "en"),
                "available_at": opened,
                "due_at": opened + DUE,
                "attempts": 3 if outcome == Outcome.NOT_REACHED else 1,
                "completed_at": done,
                "outcome": outcome,
            }
        )
    return rows
