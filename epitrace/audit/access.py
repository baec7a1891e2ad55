"""Who may see which audit screens (rule: forbidden looks exactly like missing).

"Who looked at this person": anyone who may view the person.
"What did this user do": holders of ``accounts.manage_users`` or
``audit.view_audit``, for users with a membership inside the jurisdiction
subtrees where they hold it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from epitrace.accounts.scope import has_capability, visible_jurisdiction_ids

AUDIT_CAPABILITIES = ("accounts.manage_users", "audit.view_audit")


def may_audit_users(user: Any) -> bool:
    return any(has_capability(user, capability) for capability in AUDIT_CAPABILITIES)


def auditable_users(user: Any) -> QuerySet[Any]:
    """The users whose activity ``user`` may review; none for everyone else."""
    users = get_user_model().objects.all()
    scopes = [visible_jurisdiction_ids(user, capability) for capability in AUDIT_CAPABILITIES]
    if any(scope is None for scope in scopes):  # the system identity
        return users
    ids = frozenset().union(*(scope for scope in scopes if scope))
    if not ids:
        return users.none()
    return users.filter(memberships__jurisdiction_id__in=ids).distinct()
