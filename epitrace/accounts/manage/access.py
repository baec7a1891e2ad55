"""What a user administrator may reach: jurisdictions, users, memberships, teams.

Everything here starts from :class:`AdminScope`, computed from the
administrator's own ``accounts.manage_users`` memberships. A record out of
scope is answered by :class:`OutOfScope`, a 404, exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from epitrace.accounts.models import Membership, Team, User
from epitrace.accounts.scope import forget_scope, visible_jurisdiction_ids
from epitrace.jurisdictions.models import Jurisdiction

CAPABILITY = "accounts.manage_users"

_M = TypeVar("_M", User, Membership, Team)


class OutOfScope(Http404):
    """The record is not within the administrator's reach (answered as missing)."""


@dataclass(frozen=True)
class AdminScope:
    """The jurisdiction subtrees a user administers.

    ``ids`` is None for the system identity, which administers everything.
    ``state_level`` is true when the scope includes the root: only then are
    users without any membership in reach.
    """

    ids: frozenset[int] | None
    state_level: bool

    def covers(self, jurisdiction_id: int | None) -> bool:
        if jurisdiction_id is None:
            return False
        return self.ids is None or jurisdiction_id in self.ids

    def jurisdiction_q(self, prefix: str = "") -> Q:
        """Rows whose ``{prefix}jurisdiction`` is in scope."""
        if self.ids is None:
            return Q()
        return Q(**{f"{prefix}jurisdiction_id__in": self.ids})

    def jurisdictions(self) -> QuerySet[Jurisdiction]:
        everything = Jurisdiction.objects.all()
        return everything if self.ids is None else everything.filter(id__in=self.ids)

    def memberships(self) -> QuerySet[Membership]:
        return Membership.objects.filter(self.jurisdiction_q())

    def teams(self) -> QuerySet[Team]:
        return Team.objects.filter(self.jurisdiction_q())

    def users(self) -> QuerySet[User]:
        """Staff accounts in reach; the system identity is not a staff account."""
        staff = User.objects.filter(is_system=False)
        if self.ids is None:
            return staff
        reach = Q(pk__in=self.memberships().values("user_id"))
        if self.state_level:
            reach |= Q(~Exists(Membership.objects.filter(user=OuterRef("pk"))))
        return staff.filter(reach)

    def memberships_elsewhere(self, user: User) -> int:
        """How many of ``user``'s memberships are outside this scope."""
        if self.ids is None:
            return 0
        return Membership.objects.filter(user=user).exclude(self.jurisdiction_q()).count()


def admin_scope(user: Any) -> AdminScope:
    """The scope of ``user`` as an administrator; 404 if they administer nothing."""
    ids = visible_jurisdiction_ids(user, CAPABILITY)
    if ids is None:
        return AdminScope(ids=None, state_level=True)
    if not ids:
        raise OutOfScope
    state_level = Jurisdiction.objects.filter(id__in=ids, parent__isnull=True).exists()
    return AdminScope(ids=ids, state_level=state_level)


def fresh_scope(user: Any) -> AdminScope:
    """The scope read again from the database, for the checks inside a write."""
    forget_scope(user)
    return admin_scope(user)


def get_user(scope: AdminScope, pk: int | str) -> User:
    return _get(scope.users(), pk)


def get_membership(scope: AdminScope, pk: int | str) -> Membership:
    return _get(scope.memberships().select_related("user", "jurisdiction", "team"), pk)


def get_team(scope: AdminScope, pk: int | str) -> Team:
    return _get(scope.teams().select_related("jurisdiction"), pk)


def _get(queryset: QuerySet[_M], pk: int | str) -> _M:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise OutOfScope
    return found
