"""The one place a case's priority is recomputed when its data change.

Importers, interviews and edits call :func:`recompute_priority` with the
cases they touched. The score favours the most recent specimen, within the
window in which tracing still helps (domain.md: "most recent specimen first"),
then the waiting time; risk factors join when the interview collects them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Case as When_
from django.db.models import IntegerField, Value, When
from django.utils import timezone

from epitrace.cases.models import Case

USEFUL_DAYS = 10  # past this many days since specimen, tracing rarely prevents spread


def score(specimen_date: dt.date | None, today: dt.date) -> int:
    if specimen_date is None:
        return 0
    age = (today - specimen_date).days
    return max(USEFUL_DAYS - age, 0) * 10


def recompute_priority(case_ids: Iterable[int]) -> None:
    ids = list(set(case_ids))
    if not ids:
        return
    today = timezone.localdate()
    # A job: it sees every case it was asked about.
    rows = Case.objects.filter(pk__in=ids).values_list("pk", "specimen_date")
    whens = [When(pk=pk, then=Value(score(day, today))) for pk, day in rows]
    if whens:
        Case.objects.filter(pk__in=ids).update(
            priority=When_(*whens, default=Value(0), output_field=IntegerField())
        )
