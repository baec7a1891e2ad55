"""The one place a case's priority is recomputed when its data change.

Importers, interviews and edits call :func:`recompute_priority` with the
cases they touched. It makes sure each open case whose investigation is not
finished has its investigation work item, re-scores the active work items of
those cases and the case's own ``priority``, and cancels the items of cases
that closed. The score (epitrace/queues/scoring.py) favours the most recent
specimen within the window in which tracing still helps, then risk (age 65+,
congregate setting, healthcare, school, household size), then waiting time,
with weights from the case's disease profile.

Set-based: a fixed number of statements per call, whatever the number of
cases (the lab import calls it once per batch of up to 2,000 messages and
must reach 5,000 messages per second).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from epitrace.cases.models import Case
from epitrace.queues.bulk import update_rows
from epitrace.queues.sync import SyncResult, sync_cases


def recompute_priority(case_ids: Iterable[int]) -> None:
    recompute(case_ids)


def recompute(case_ids: Iterable[int]) -> SyncResult:
    """:func:`recompute_priority`, telling what it did (items created, updated, cancelled)."""
    ids = {int(pk) for pk in case_ids}
    if not ids:
        return SyncResult()
    with transaction.atomic(savepoint=False):  # inside the import's batch: no savepoint
        result = sync_cases(ids)
        _store_case_priorities(result.case_priorities, result.previous)
    return result


def _store_case_priorities(priorities: dict[int, int], previous: dict[int, int]) -> None:
    """One UPDATE for the cases whose priority changed."""
    changed = [(pk, p) for pk, p in priorities.items() if previous.get(pk) != p]
    update_rows(Case, ["priority"], changed)
