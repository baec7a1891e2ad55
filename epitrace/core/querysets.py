"""Jurisdiction scoping: the only door to personal data.

Every model that holds personal data uses :class:`RestrictedQuerySet` and
declares how its rows relate to jurisdictions with a ``scope_q(ids)``
classmethod returning a ``Q`` over the visible jurisdiction ids. A view asks
``Model.objects.restrict(request.user, "view")`` and gets only the rows of the
jurisdiction subtrees where one of the user's memberships grants the
capability ``<app>.<action>_<model>`` (NetBox's RestrictedQuerySet pattern).

Dual reporting falls out of the tree: a state membership covers the whole
tree, an LHD membership only its own subtree, never a sibling's.
The system identity (importers, jobs, commands without ``--user``) sees all,
and has to be asked for explicitly with ``system_user()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models

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
        if not ids:
            return self.none()
        scope_q = getattr(self.model, "scope_q", None)
        if scope_q is None:  # a model without its rule is a bug, not "visible to all"
            raise TypeError(f"{meta.label} has a RestrictedQuerySet but no scope_q()")
        return self.filter(scope_q(frozenset(ids)))
