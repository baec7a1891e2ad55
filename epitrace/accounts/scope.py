"""Which jurisdictions a user may act on, for a capability.

Cached on the user object for the life of the request: a page that runs
ten restricted queries reads the memberships once. The same read serves
every other per-request question about the user's memberships (the menu,
the queues they work, the fields their roles show):
:func:`epitrace.accounts.memberships.user_memberships`.
"""

from __future__ import annotations

from typing import Any

from epitrace.accounts.memberships import active_memberships, forget_memberships
from epitrace.accounts.roles import role_grants

_CACHE_ATTR = "_epitrace_scope_cache"


def visible_jurisdiction_ids(user: Any, capability: str) -> frozenset[int] | None:
    """Jurisdiction ids where ``user`` holds ``capability``; None means all (system)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "is_system", False):
        return None
    client = getattr(user, "client", None)
    if client is not None:  # an API client: its own jurisdiction and capabilities
        return _client_scope(client, capability)
    cache: dict[str, frozenset[int]] = user.__dict__.setdefault(_CACHE_ATTR, {})
    if capability not in cache:
        cache[capability] = _compute(user, capability)
    return cache[capability]


def _compute(user: Any, capability: str) -> frozenset[int]:
    from epitrace.jurisdictions.models import Jurisdiction

    # Memberships and subtrees are read once per user object (a request), not
    # once per capability: a page asks for a dozen capabilities.
    paths = frozenset(
        m.jurisdiction.path for m in active_memberships(user) if role_grants(m.role, capability)
    )
    if not paths:
        return frozenset()
    subtrees = user.__dict__.setdefault("_epitrace_subtrees", {})
    if paths not in subtrees:
        subtrees[paths] = Jurisdiction.objects.subtree_ids(sorted(paths))
    return frozenset(subtrees[paths])


def _client_scope(client: Any, capability: str) -> frozenset[int]:
    from epitrace.jurisdictions.models import Jurisdiction

    if not client.is_active or capability not in client.capabilities:
        return frozenset()
    return Jurisdiction.objects.subtree_ids([client.jurisdiction.path])


def has_capability(user: Any, capability: str) -> bool:
    ids = visible_jurisdiction_ids(user, capability)
    return ids is None or bool(ids)


def forget_scope(user: Any) -> None:
    """Drop the cached scope (after a membership change in the same request)."""
    user.__dict__.pop(_CACHE_ATTR, None)
    forget_memberships(user)
    user.__dict__.pop("_epitrace_subtrees", None)


def system_user() -> Any:
    """The system identity, created on first use."""
    from epitrace.accounts.models import SYSTEM_USERNAME, User

    user, _ = User.objects.get_or_create(
        is_system=True,
        defaults={"username": SYSTEM_USERNAME, "display_name": "System", "is_active": True},
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
