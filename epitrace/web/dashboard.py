"""Figures for the home page, each computed over what the user may see.

Weeks are MMWR weeks (Sunday to Saturday), the unit US surveillance reports
use, so the curve lines up with the state's weekly reports.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from epitrace.accounts.models import Membership, User
from epitrace.accounts.roles import Role
from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.cases.choices import CaseStatus, Classification, InvestigationStatus
from epitrace.cases.models import Case
from epitrace.jurisdictions.models import Jurisdiction, Town

EPI_CURVE_WEEKS = 16
RECENT_NEW_CASES = 10
# Classifications drawn on the curve, bottom to top; "not a case" is not a case.
CURVE_CLASSES = (Classification.CONFIRMED, Classification.PROBABLE, Classification.SUSPECT)


@dataclass
class Tally:
    """One row of a count table: a choice, its label and how many."""

    value: str
    label: str
    count: int


def tallies(counts: dict[str, int], choices: list[tuple[str, Any]]) -> list[Tally]:
    """Every choice in its declared order, zeros included, so rows never jump around."""
    return [Tally(value, str(label), counts.get(value, 0)) for value, label in choices]


def count_by(queryset: QuerySet[Any], field_name: str) -> dict[str, int]:
    rows = queryset.order_by().values(field_name).annotate(n=Count("id"))
    return {row[field_name]: row["n"] for row in rows}


# --- Tracers, supervisors, directors -------------------------------------------


def open_by_investigation(cases: QuerySet[Case]) -> list[Tally]:
    counts = count_by(cases.filter(status=CaseStatus.OPEN), "investigation_status")
    return tallies(counts, InvestigationStatus.choices)


def recent_new_cases(cases: QuerySet[Case]) -> list[Case]:
    return list(
        cases.filter(status=CaseStatus.OPEN, investigation_status=InvestigationStatus.NEW)
        .select_related("person", "disease", "jurisdiction")
        .order_by("-report_date", "-id")[:RECENT_NEW_CASES]
    )


# --- Epidemiologists and analysts ----------------------------------------------


def week_start(day: dt.date) -> dt.date:
    """The Sunday that starts ``day``'s MMWR week."""
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


@dataclass
class Segment:
    classification: str
    label: str
    count: int
    y: float = 0.0
    height: float = 0.0


@dataclass
class Week:
    start: dt.date
    segments: list[Segment]
    x: float = 0.0
    center: float = 0.0

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)

    @property
    def total(self) -> int:
        return sum(segment.count for segment in self.segments)


@dataclass
class EpiCurve:
    """Cases by report week, stacked by classification, with the SVG geometry."""

    weeks: list[Week]
    first_day: dt.date
    ticks: list[tuple[int, float]] = field(default_factory=list)
    # Drawing area inside the SVG viewBox, in user units.
    width: int = 680
    height: int = 240
    left: int = 40
    top: int = 12
    bottom: int = 40
    bar_gap: int = 6

    @property
    def total(self) -> int:
        return sum(week.total for week in self.weeks)

    @property
    def peak(self) -> Week | None:
        best = max(self.weeks, key=lambda week: week.total, default=None)
        return best if best is not None and best.total else None

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def slot(self) -> float:
        return (self.width - self.left) / max(len(self.weeks), 1)

    @property
    def bar_width(self) -> float:
        return self.slot - self.bar_gap

    @property
    def legend(self) -> list[tuple[str, str]]:
        return [(c.value, str(c.label)) for c in CURVE_CLASSES]


def nice_ceiling(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 x 10^n)."""
    if value <= 5:
        return 5
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # unreachable, keeps type checkers calm


def epi_curve(cases: QuerySet[Case], today: dt.date | None = None) -> EpiCurve:
    today = today or timezone.localdate()
    first_day = week_start(today) - dt.timedelta(weeks=EPI_CURVE_WEEKS - 1)
    # Group by day in the database (at most 112 rows per class), by week here:
    # week arithmetic in SQL differs between SQLite and PostgreSQL.
    rows = (
        cases.filter(report_date__gte=first_day, report_date__lte=today)
        .filter(classification__in=[c.value for c in CURVE_CLASSES])
        .order_by()
        .values("report_date", "classification")
        .annotate(n=Count("id"))
    )
    per_week: Counter[tuple[dt.date, str]] = Counter()
    for row in rows:
        per_week[(week_start(row["report_date"]), row["classification"])] += row["n"]
    weeks = [
        Week(
            start=start,
            segments=[
                Segment(c.value, str(c.label), per_week[(start, c.value)]) for c in CURVE_CLASSES
            ],
        )
        for start in (first_day + dt.timedelta(weeks=i) for i in range(EPI_CURVE_WEEKS))
    ]
    curve = EpiCurve(weeks=weeks, first_day=first_day)
    _lay_out(curve)
    return curve


def _lay_out(curve: EpiCurve) -> None:
    top_value = nice_ceiling(max((week.total for week in curve.weeks), default=0))
    plot_height = curve.plot_bottom - curve.top
    scale = plot_height / top_value
    for index, week in enumerate(curve.weeks):
        week.x = round(curve.left + index * curve.slot + curve.bar_gap / 2, 1)
        week.center = round(week.x + curve.bar_width / 2, 1)
        base = float(curve.plot_bottom)
        for segment in week.segments:
            segment.height = round(segment.count * scale, 1)
            base -= segment.height
            segment.y = round(base, 1)
    # 1 and 5 x 10^n divide into five even steps, 2 x 10^n into four.
    intervals = 4 if str(top_value)[0] == "2" else 5
    curve.ticks = [
        (value, round(curve.plot_bottom - value * scale, 1))
        for value in (top_value * i // intervals for i in range(intervals + 1))
    ]


def by_classification(cases: QuerySet[Case], since: dt.date) -> list[Tally]:
    counts = count_by(cases.filter(report_date__gte=since), "classification")
    return tallies(counts, Classification.choices)


# --- Administrators --------------------------------------------------------------


@dataclass
class AdminFigures:
    jurisdictions: int
    towns: int
    users: int
    memberships: list[Tally]
    unassigned_users: int | None


def admin_figures(user: Any, *, sees_root: bool) -> AdminFigures:
    """Counts over the jurisdictions the user administers (their subtrees)."""
    ids = visible_jurisdiction_ids(user, "accounts.manage_users")
    jurisdictions = Jurisdiction.objects.all()
    if ids is not None:
        jurisdictions = jurisdictions.filter(id__in=ids)
    members = Membership.objects.filter(jurisdiction__in=jurisdictions)
    users = User.objects.filter(is_active=True, memberships__jurisdiction__in=jurisdictions)
    # Users waiting for a first assignment belong to no subtree: only the
    # state-level administrator can see and place them.
    unassigned = (
        User.objects.filter(is_active=True, is_system=False, memberships__isnull=True).count()
        if sees_root
        else None
    )
    return AdminFigures(
        jurisdictions=jurisdictions.count(),
        towns=Town.objects.filter(jurisdiction__in=jurisdictions).count(),
        users=users.distinct().count(),
        memberships=tallies(count_by(members, "role"), Role.choices),
        unassigned_users=unassigned,
    )


def user_administrators() -> list[User]:
    """Whom a user without an assignment should ask: the state's user administrators."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__role__in=[Role.USER_ADMIN, Role.STATE_ADMIN],
            memberships__jurisdiction__parent__isnull=True,
        )
        .distinct()
        .order_by("display_name", "username")
    )
