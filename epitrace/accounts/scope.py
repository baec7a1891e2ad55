"""Which jurisdictions a user may act on, for a capability.

Cached on the user object for the life of the request: a page that runs
ten restricted queries reads the memberships once. The same read serves
every other per-request question about the user's memberships (the menu,
the queues they work, the fields their roles show):
:func:`epitrace.accounts.memberships.user_memberships`.

Each membership comes with the ids of the jurisdictions at or below its
own, in the same statement. An API client's subtree is read with a
statement written out once (:func:`subtree_ids`): building it through the
ORM cost three times what running it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

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
    # Memberships, each with the ids of its subtree, are read once per user
    # object (a request), not once per capability: a page asks for a dozen.
    return frozenset().union(
        *(m.subtree for m in active_memberships(user) if role_grants(m.role, capability))  # type: ignore[attr-defined]
    )


def _client_scope(client: Any, capability: str) -> frozenset[int]:
    if not client.is_active or capability not in client.capabilities:
        return frozenset()
    return subtree_ids([client.jurisdiction.path])


def subtree_ids(paths: Iterable[str]) -> frozenset[int]:
    """``Jurisdiction.objects.subtree_ids(paths)``: ids of every jurisdiction at or below
    any of ``paths``, by the same ``path__startswith`` conditions, written out once per
    database and number of paths."""
    wanted = sorted(set(paths))
    if not wanted:
        return frozenset()
    params = [connection.ops.prep_for_like_query(path) + "%" for path in wanted]
    with connection.cursor() as cursor:
        cursor.execute(_subtree_sql(connection.vendor, len(wanted)), params)
        return frozenset(row[0] for row in cursor.fetchall())


_subtree_statements: dict[tuple[str, int], str] = {}


def _subtree_sql(vendor: str, count: int) -> str:
    sql = _subtree_statements.get((vendor, count))
    if sql is None:
        from epitrace.jurisdictions.models import Jurisdiction

        meta = Jurisdiction._meta
        field = meta.get_field("path")
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        column = f"{table}.{quote(field.column)}"
        # The ORM's startswith: its cast of the column and its LIKE (with ESCAPE on SQLite).
        lhs = connection.ops.lookup_cast("startswith", field.get_internal_type()) % column
        condition = f"{lhs} {connection.operators['startswith'] % '%s'}"
        sql = _subtree_statements[(vendor, count)] = (
            f"SELECT {table}.{quote(meta.pk.column)} FROM {table}"  # noqa: S608 - names only
            f" WHERE {' OR '.join([condition] * count)}"
        )
    return sql


def has_capability(user: Any, capability: str) -> bool:
    ids = visible_jurisdiction_ids(user, capability)
    return ids is None or bool(ids)


def forget_scope(user: Any) -> None:
    """Drop the cached scope (after a membership change in the same request)."""
    user.__dict__.pop(_CACHE_ATTR, None)
    forget_memberships(user)
    user.__dict__.pop("_epitrace_persons_seen", None)  # core.querysets.of_person


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
