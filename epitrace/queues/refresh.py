"""Re-scoring and back-filling work items in batches, through the import hook's code.

``refresh_all`` walks every active item (keyset pagination on the id, so a
million rows never sit in memory); ``backfill_open_cases`` walks every open
case, which gives each case that lacks one its investigation item (after a
restore, or on a database filled before the queue existed). Both call the
same set-based functions as the lab import: one batch, a fixed number of
statements.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from epitrace.cases.choices import CaseStatus
from epitrace.cases.models import Case
from epitrace.cases.priority import recompute_priority
from epitrace.queues.choices import ACTIVE_STATES
from epitrace.queues.models import WorkItem
from epitrace.queues.sync import sync_exposure_items

BATCH = 2000


def refresh_all(batch: int = BATCH) -> int:
    """Re-score every active item; returns how many items were looked at."""
    seen, last = 0, 0
    while True:
        rows = list(
            WorkItem.objects.filter(state__in=list(ACTIVE_STATES), pk__gt=last)
            .order_by("pk")
            .values_list("pk", "case_id", "exposure_id")[:batch]
        )
        if not rows:
            return seen
        last, seen = rows[-1][0], seen + len(rows)
        with transaction.atomic():
            recompute_priority({case for _, case, _ in rows if case is not None})
            sync_exposure_items({exposure for _, _, exposure in rows if exposure is not None})


def backfill_open_cases(batch: int = BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Run the priority hook over every open case; returns how many cases."""
    done, last = 0, 0
    # A job: it sees every case.
    open_cases = Case.objects.filter(status=CaseStatus.OPEN)
    while True:
        ids = list(
            open_cases.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        recompute_priority(ids)
        last, done = ids[-1], done + len(ids)
        if progress is not None:
            progress(len(ids))
