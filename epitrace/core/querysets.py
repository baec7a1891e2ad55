"""Jurisdiction scoping: the only door to personal data.

Every model that holds personal data uses :class:`RestrictedQuerySet` and
declares how its rows relate to jurisdictions with a ``scope_q(ids)``
classmethod returning a ``Q`` over the visible jurisdiction ids. A view asks
``Model.objects.restrict(request.user, "view")`` and gets only the rows of the
jurisdiction subtrees where one of the user's memberships grants the
capability ``<app>.<action>_<model>`` (NetBox's RestrictedQuerySet pattern).

Dual reporting falls out of the tree: a state membership covers the whole
tree, an LHD membership only its own subtree, never a sibling's.

Two grants reach single persons beyond the tree, for models that name their
person through ``person_paths``: a record shared with one of the user's
jurisdictions (any action the user holds there), and the user's own
unexpired break-glass access (view only).

The system identity (importers, jobs, commands without ``--user``) sees all,
and has to be asked for explicitly with ``system_user()``.

``restrict()`` runs several times on every staff page, so the grant
subqueries are written out as SQL once (:mod:`epitrace.core.grants`) rather
than built as querysets on each call.
"""

from __future__ import annotations

from collections.abc import Set
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q
from django.utils import timezone

from epitrace.core.grants import BreakGlassPersons, shared_persons

if TYPE_CHECKING:
    from epitrace.accounts.models import User


class RestrictedQuerySet(models.QuerySet[Any]):
    def restrict(self, user: User | Any, action: str = "view") -> Self:
        """Only the rows ``user`` may ``action`` (view, change, add, delete)."""
        from epitrace.accounts.scope import visible_jurisdiction_ids

        meta = self.model._meta
        capability = f"{meta.app_label}.{action}_{meta.model_name}"
        ids = visible_jurisdiction_ids(user, capability)
        if ids is None:  # the system identity
            return self.all()
        scope_q = getattr(self.model, "scope_q", None)
        if scope_q is None:  # a model without its rule is a bug, not "visible to all"
            raise TypeError(f"{meta.label} has a RestrictedQuerySet but no scope_q()")
        query = scope_q(frozenset(ids)) if ids else Q(pk__in=[])
        grants = _person_grants(self.model, user, ids, action)
        if grants is not None:
            query |= grants
        elif not ids:
            return self.none()
        return self.filter(query)

    def of_person(self, user: User | Any, person_id: int, action: str = "view") -> Self:
        """The rows of one person that ``user`` may ``action``: the rows of
        ``restrict(user, action).filter(person=person_id)``, read more cheaply.

        Only for models whose rule is their person's (``scope_by_person``): a
        row of a person is visible exactly when the person is, under the
        model's own capability. That is asked once per request for each
        person, set of jurisdictions and action (and kept on the user); the
        rows are then read by person alone. A person page's panels read a
        dozen such lists, and each scope subquery costs more to build and
        plan than the read itself.
        """
        if person_in_reach(self.model, user, person_id, action):
            return self.filter(**{person_path(self.model): person_id})
        return self.none()


def person_path(model: type[models.Model]) -> str:
    """The field naming the person of a ``scope_by_person`` model's row."""
    if not getattr(model, "scope_by_person", False):
        raise TypeError(f"{model._meta.label} does not declare scope_by_person")
    paths: tuple[str, ...] = getattr(model, "person_paths", ())
    return paths[0]


def person_in_reach(
    model: type[models.Model], user: User | Any, person_id: int, action: str = "view"
) -> bool:
    """Whether ``user`` may ``action`` the rows of ``model`` (``scope_by_person``) of a person."""
    from epitrace.accounts.scope import visible_jurisdiction_ids

    person_path(model)  # refuses a model whose rule is not its person's
    meta = model._meta
    ids = visible_jurisdiction_ids(user, f"{meta.app_label}.{action}_{meta.model_name}")
    return ids is None or _person_visible(user, frozenset(ids), person_id, action)


def found_in_reach(user: User | Any, person_id: int, action: str = "view") -> None:
    """Note that ``Person.objects.restrict(user, action)`` has just returned the person.

    ``person_in_reach`` then answers without a query for every model whose
    capability covers the same jurisdictions (its question is the same
    restricted query): the person page reads the person, then five lists of
    their rows.
    """
    from epitrace.accounts.scope import visible_jurisdiction_ids

    ids = visible_jurisdiction_ids(user, f"people.{action}_person")
    if ids is not None:
        seen = user.__dict__.setdefault("_epitrace_persons_seen", {})
        seen[(frozenset(ids), action, person_id)] = True


def _person_visible(user: Any, ids: frozenset[int], person_id: int, action: str) -> bool:
    """Whether the person is in ``ids``' scope or granted to ``user`` (asked once per request)."""
    from epitrace.people.models import Person

    seen: dict[tuple[frozenset[int], str, int], bool] = user.__dict__.setdefault(
        "_epitrace_persons_seen", {}
    )
    key = (ids, action, person_id)
    if key not in seen:
        query = Person.scope_q(ids) if ids else Q(pk__in=[])
        grants = _person_grants(Person, user, ids, action)
        if grants is not None:
            query |= grants
        # As restrict(): no jurisdiction and no grant that could apply sees nothing.
        reachable = bool(ids) or grants is not None
        seen[key] = reachable and Person.objects.filter(query, pk=person_id).exists()
    return seen[key]


def _person_grants(model: type[models.Model], user: Any, ids: Set[int], action: str) -> Q | None:
    """Rows reached through a share or a break-glass, or None when none can apply."""
    paths: tuple[str, ...] = getattr(model, "person_paths", ())
    if not paths or not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return None
    sources: list[Any] = []
    if ids:
        sources.append(shared_persons(frozenset(ids)))
    if action == "view":
        # The asker's clock if it brings one (core/statements.py compiles with a marker).
        now = getattr(user, "_epitrace_now", None) or timezone.now()
        sources.append(BreakGlassPersons(user.pk, now))
    if not sources:
        return None
    query = Q()
    for source in sources:
        for path in paths:
            query |= Q(**{f"{path}__in": source})
    return query
