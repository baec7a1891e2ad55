"""Figures for supervisors: per queue, per tracer and per team, over their subtree.

Each table is one grouped query on the partial indexes of active and done
items, so the page stays fast with a million items.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from epitrace.accounts.models import Membership, Team, User
from epitrace.accounts.roles import role_grants
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.queues.choices import ACTIVE_STATES, State
from epitrace.queues.models import QueueHandover, WorkItem
from epitrace.queues.workers import WORK_CAPABILITY


@dataclass
class QueueRow:
    jurisdiction: Jurisdiction
    waiting: int = 0
    claimed: int = 0
    overdue: int = 0
    handover: QueueHandover | None = None


@dataclass
class TracerRow:
    user: User
    claimed: int = 0
    done_today: int = 0
    overdue: int = 0
    teams: list[str] = field(default_factory=list)


@dataclass
class TeamRow:
    team: Team
    waiting: int = 0  # items kept for the team, not yet claimed
    claimed: int = 0
    done_today: int = 0
    overdue: int = 0
    members: int = 0


def start_of_today(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def queue_rows(items: QuerySet[WorkItem], now: dt.datetime) -> list[QueueRow]:
    """Active items by queue; the handovers in force shown on their LHD."""
    counts = (
        items.filter(state__in=list(ACTIVE_STATES))
        .order_by()
        .values("queue_id")
        .annotate(
            waiting=Count("id", filter=Q(state=State.OPEN)),
            claimed=Count("id", filter=Q(state=State.CLAIMED)),
            overdue=Count("id", filter=Q(due_at__lt=now)),
        )
    )
    by_queue = {row["queue_id"]: row for row in counts}
    handovers = {
        h.jurisdiction_id: h
        for h in QueueHandover.objects.filter(ended_at__isnull=True).select_related(
            "started_by", "to_jurisdiction"
        )
    }
    jurisdictions = Jurisdiction.objects.filter(pk__in=set(by_queue) | set(handovers))
    rows = []
    for jurisdiction in jurisdictions.order_by("path"):
        row = by_queue.get(jurisdiction.pk, {})
        rows.append(
            QueueRow(
                jurisdiction,
                row.get("waiting", 0),
                row.get("claimed", 0),
                row.get("overdue", 0),
                handovers.get(jurisdiction.pk),
            )
        )
    return rows


def tracer_rows(
    items: QuerySet[WorkItem], scope: frozenset[int] | None, now: dt.datetime
) -> list[TracerRow]:
    """Everyone who works a queue in the scope, with their claimed, done and overdue items."""
    members = Membership.objects.filter(user__is_active=True).select_related("user", "team")
    if scope is not None:
        members = members.filter(jurisdiction_id__in=scope)
    rows: dict[int, TracerRow] = {}
    for membership in members.order_by("user__username"):
        if not role_grants(membership.role, WORK_CAPABILITY):
            continue
        row = rows.setdefault(membership.user_id, TracerRow(membership.user))
        if membership.team is not None and membership.team.name not in row.teams:
            row.teams.append(membership.team.name)
    held = _by_user(items.filter(state=State.CLAIMED), "claimed_by_id", now)
    done = _done_today(items, now)
    for user_id, row in rows.items():
        row.claimed, row.overdue = held.get(user_id, (0, 0))
        row.done_today = done.get(user_id, 0)
    return list(rows.values())


def team_rows(
    items: QuerySet[WorkItem], scope: frozenset[int] | None, now: dt.datetime
) -> list[TeamRow]:
    teams = Team.objects.select_related("jurisdiction").order_by("jurisdiction__path", "name")
    if scope is not None:
        teams = teams.filter(jurisdiction_id__in=scope)
    members: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in Membership.objects.filter(
        team__in=teams, user__is_active=True
    ).values_list("team_id", "user_id"):
        members[team_id].add(user_id)
    waiting = dict(
        items.filter(state=State.OPEN, team__in=teams)
        .order_by()
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    held = _by_user(items.filter(state=State.CLAIMED), "claimed_by_id", now)
    done = _done_today(items, now)
    rows = []
    for team in teams:
        ids = members.get(team.pk, set())
        rows.append(
            TeamRow(
                team,
                waiting=waiting.get(team.pk, 0),
                claimed=sum(held.get(u, (0, 0))[0] for u in ids),
                done_today=sum(done.get(u, 0) for u in ids),
                overdue=sum(held.get(u, (0, 0))[1] for u in ids),
                members=len(ids),
            )
        )
    return rows


def _by_user(
    items: QuerySet[WorkItem], column: str, now: dt.datetime
) -> dict[int, tuple[int, int]]:
    rows = (
        items.order_by()
        .values(column)
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_at__lt=now)))
        .values_list(column, "n", "late")
    )
    return {user_id: (n, late) for user_id, n, late in rows}


def _done_today(items: QuerySet[WorkItem], now: dt.datetime) -> dict[int, int]:
    rows = (
        items.filter(state=State.DONE, completed_at__gte=start_of_today(now))
        .order_by()
        .values("completed_by_id")
        .annotate(n=Count("id"))
        .values_list("completed_by_id", "n")
    )
    return {user_id: n for user_id, n in rows if user_id is not None}


def overdue_items(items: QuerySet[WorkItem], now: dt.datetime) -> QuerySet[WorkItem]:
    return (
        items.filter(state__in=list(ACTIVE_STATES), due_at__lt=now)
        .select_related(
            "case__person", "exposure__contact", "claimed_by", "assignee", "team", "queue"
        )
        .order_by("due_at", "id")
    )
