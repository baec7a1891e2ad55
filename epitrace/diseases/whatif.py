"""What-if: how current monitorees' end dates would move under changed parameters.

Contacts in quarantine (their ``quarantine_end``) and cases in isolation
(``isolation_end``) whose case runs on the profile version are compared with
the end the new parameters give them. The new end depends only on a few
dates, so the database groups the records by those dates and counts them;
the rules then run once per group, not once per record. A state with 100,000
monitorees has a few thousand groups at most (measured: docs/rules.md).

The querysets come from the view, restricted to what the user may see, so
the counts and the sample cover the user's own jurisdictions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import Count, F, Q, QuerySet, Value, When

from epitrace.cases.choices import CaseStatus
from epitrace.cases.models import Case
from epitrace.contacts.choices import MonitoringStatus
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules.params import RuleParameters
from epitrace.diseases.rules.periods import isolation_end, quarantine_end

SAMPLE_SIZE = 20
# How many records the sample may read looking for moved dates before it
# settles for what it found: the counts never depend on it.
SAMPLE_SCAN = 5000


@dataclass
class Impact:
    """How one kind of end date moves: counts, the new dates, a sample of records."""

    total: int = 0
    earlier: int = 0
    later: int = 0
    unchanged: int = 0
    dated: int = 0  # had no end date, would have one
    undated: int = 0  # had one, would have none
    by_new_end: Counter[dt.date | None] = field(default_factory=Counter)
    sample: list[SampleRow] = field(default_factory=list)

    def add(self, old: dt.date | None, new: dt.date | None, count: int) -> None:
        self.total += count
        self.by_new_end[new] += count
        if old == new:
            self.unchanged += count
        elif old is None:
            self.dated += count
        elif new is None:
            self.undated += count
        elif new < old:
            self.earlier += count
        else:
            self.later += count

    @property
    def histogram(self) -> list[tuple[dt.date | None, int, int]]:
        """(new end, count, percent of the largest) by date; "no end" last."""
        peak = max(self.by_new_end.values(), default=0)
        dated = sorted(day for day in self.by_new_end if day is not None)
        keys: list[dt.date | None] = [*dated, *([None] if None in self.by_new_end else [])]
        return [
            (key, self.by_new_end[key], round(100 * self.by_new_end[key] / peak) if peak else 0)
            for key in keys
        ]


@dataclass
class SampleRow:
    record: Any  # an Exposure or a Case
    old: dt.date | None
    new: dt.date | None

    @property
    def moved(self) -> str:
        if self.old == self.new:
            return "unchanged"
        if self.old is None or self.new is None:
            return "dated" if self.old is None else "undated"
        return "earlier" if self.new < self.old else "later"


def open_exposures(exposures: QuerySet[Exposure], profile: DiseaseProfile) -> QuerySet[Exposure]:
    """Contacts in quarantine or monitoring whose case runs on ``profile``."""
    own_rules = Q(case__isnull=True, profile=profile)  # a self-enrolled contact, no known case
    return exposures.filter(
        Q(case__profile=profile) | own_rules, monitoring_status=MonitoringStatus.MONITORING
    )


def isolating_cases(
    cases: QuerySet[Case], profile: DiseaseProfile, today: dt.date
) -> QuerySet[Case]:
    """Open cases on ``profile`` still in isolation (or isolating with no end yet)."""
    return cases.filter(profile=profile, status=CaseStatus.OPEN).filter(
        Q(isolation_end__gte=today) | Q(isolation_end__isnull=True, isolation_start__isnull=False)
    )


# --- The new end of one record, from the values the groups carry -------------------


def _case_end(params: RuleParameters, row: Mapping[str, Any], prefix: str = "") -> dt.date | None:
    asymptomatic = row[f"{prefix}asymptomatic"]
    onset = None if asymptomatic else row[f"{prefix}onset_date"]
    return isolation_end(params, onset=onset, specimen=row[f"{prefix}specimen_date"])


def _exposure_end(params: RuleParameters, row: Mapping[str, Any]) -> dt.date | None:
    if not row["ongoing"]:
        return quarantine_end(params, row["last_exposure_date"])
    # Still exposed: counts from the case's isolation end, the rules' or else staff's.
    until = _case_end(params, row, "case__") or row["case__isolation_end"]
    if until is None:
        return None
    return quarantine_end(params, row["last_exposure_date"], ongoing_until=until)


_CASE_FIELDS = ("asymptomatic", "onset_date", "specimen_date")
_EXPOSURE_CASE_FIELDS = tuple(f"case__{name}" for name in (*_CASE_FIELDS, "isolation_end"))


def exposure_impact(records: QuerySet[Exposure], params: RuleParameters) -> Impact:
    """Quarantine ends of ``records`` (see :func:`open_exposures`) under ``params``."""
    impact = Impact()
    # Only an ongoing exposure depends on its case's dates: the others group by
    # their own two dates alone, so the groups stay few in one pass.
    case_dates = {
        name.replace("__", "_"): DbCase(When(ongoing=True, then=F(name)), default=Value(None))
        for name in _EXPOSURE_CASE_FIELDS
    }
    groups = (
        records.annotate(**case_dates)
        .values("ongoing", "last_exposure_date", "quarantine_end", *case_dates)
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in groups:
        values = {**row, **{name: row[name.replace("__", "_")] for name in _EXPOSURE_CASE_FIELDS}}
        impact.add(row["quarantine_end"], _exposure_end(params, values), row["n"])
    impact.sample = _sample(
        records.select_related("contact", "case"),
        ("ongoing", "last_exposure_date", "quarantine_end", *_EXPOSURE_CASE_FIELDS),
        "quarantine_end",
        lambda row: _exposure_end(params, row),
    )
    return impact


def case_impact(records: QuerySet[Case], params: RuleParameters) -> Impact:
    """Isolation ends of ``records`` (see :func:`isolating_cases`) under ``params``."""
    impact = Impact()
    groups = records.values(*_CASE_FIELDS, "isolation_end").annotate(n=Count("pk")).order_by()
    for row in groups:
        impact.add(row["isolation_end"], _case_end(params, row), row["n"])
    impact.sample = _sample(
        records.select_related("person"),
        (*_CASE_FIELDS, "isolation_end"),
        "isolation_end",
        lambda row: _case_end(params, row),
    )
    return impact


def _sample(
    records: QuerySet[Any],
    fields_: Iterable[str],
    stored: str,
    new_end: Callable[[Mapping[str, Any]], dt.date | None],
) -> list[SampleRow]:
    """Up to SAMPLE_SIZE records, those whose date moves first.

    Read in the database's own order: sorting every record first would cost
    more than the counts themselves.
    """
    moved: list[tuple[int, dt.date | None, dt.date | None]] = []
    still: list[tuple[int, dt.date | None, dt.date | None]] = []
    rows = records.order_by().values("pk", *fields_)[:SAMPLE_SCAN]
    # One plain query: a server-side cursor (iterator()) tunes the plan for the
    # first rows, and on tables without statistics that plan took seconds.
    for row in rows:
        new = new_end(row)
        target = moved if new != row[stored] else still
        if len(target) < SAMPLE_SIZE:
            target.append((row["pk"], row[stored], new))
        if len(moved) >= SAMPLE_SIZE:
            break
    chosen = (moved + still)[:SAMPLE_SIZE]
    objects = records.in_bulk([pk for pk, _, _ in chosen])
    return [SampleRow(objects[pk], old, new) for pk, old, new in chosen if pk in objects]
