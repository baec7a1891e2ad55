"""What the user-administration pages show, read in a fixed number of queries.

A user's memberships outside the administrator's scope are never listed:
only their number, so the administrator knows the account is shared.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, Prefetch, Q, QuerySet, Value

from epitrace.accounts.manage import mfa
from epitrace.accounts.manage.access import AdminScope
from epitrace.accounts.models import Membership, Team, User
from epitrace.people.choices import LANGUAGE_NAMES


def scoped_memberships(scope: AdminScope) -> QuerySet[Membership]:
    return (
        scope.memberships()
        .select_related("jurisdiction", "team")
        .order_by("jurisdiction__path", "role")
    )


def user_rows(scope: AdminScope, users: QuerySet[User]) -> QuerySet[User]:
    """Users with their in-scope memberships, the count of the others, and MFA.

    Three queries for any page size: the count, the page, the memberships.
    """
    if scope.ids is None:
        elsewhere: Count | Value = Value(0, output_field=IntegerField())
    else:
        elsewhere = Count("memberships", filter=~Q(memberships__jurisdiction_id__in=scope.ids))
    return (
        users.annotate(memberships_elsewhere=elsewhere, mfa_enrolled=mfa.enrolled_annotation())
        .prefetch_related(
            Prefetch("memberships", queryset=scoped_memberships(scope), to_attr="scoped")
        )
        .order_by("username")
    )


def language_names(codes: str) -> list[str]:
    """ "en,es" as the names staff read: "English", "Spanish"."""
    stripped = (code.strip() for code in codes.split(","))
    return [LANGUAGE_NAMES.get(code, code) for code in stripped if code]


@dataclass
class TeamRow:
    team: Team
    language_names: list[str]


def team_rows(scope: AdminScope, teams: QuerySet[Team]) -> QuerySet[Team]:
    return (
        teams.select_related("jurisdiction")
        .annotate(member_count=Count("memberships"))
        .order_by("jurisdiction__path", "name")
    )


@dataclass
class RoleRow:
    """One in-scope membership and the teams it may move to."""

    membership: Membership
    teams: list[Team] = field(default_factory=list)


@dataclass
class Account:
    """Everything the user page shows about an account, within the scope."""

    user: User
    roles: list[RoleRow]
    elsewhere: int
    mfa_enrolled: bool

    @property
    def language_names(self) -> list[str]:
        return language_names(self.user.languages)

    @property
    def in_full_reach(self) -> bool:
        """Whether the administrator may change the account itself, not only its roles."""
        return self.elsewhere == 0


def account(scope: AdminScope, user: User) -> Account:
    memberships = list(scoped_memberships(scope).filter(user=user))
    return Account(
        user=user,
        roles=role_rows(scope, memberships),
        elsewhere=scope.memberships_elsewhere(user),
        mfa_enrolled=mfa.has_mfa(user),
    )


def role_rows(scope: AdminScope, memberships: list[Membership]) -> list[RoleRow]:
    """Pair each membership with the teams of its jurisdiction, in one query."""
    by_jurisdiction: dict[int, list[Team]] = defaultdict(list)
    jurisdiction_ids = {m.jurisdiction_id for m in memberships}
    if jurisdiction_ids:
        for team in scope.teams().filter(jurisdiction_id__in=jurisdiction_ids).order_by("name"):
            by_jurisdiction[team.jurisdiction_id].append(team)
    return [RoleRow(m, by_jurisdiction[m.jurisdiction_id]) for m in memberships]


def team_members(team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user", "jurisdiction", "team").order_by(
        "user__display_name", "user__username", "role"
    )
