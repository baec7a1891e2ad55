"""Minimum necessary: which fields of a record each role may see.

Row access comes from ``restrict()``; this decides columns. A role absent
from the table sees every field of what it can reach. A read-only analyst
sees no direct identifier; the referral roles (their screens come with the
referrals) see only what a community organisation needs to help.
A user with several roles sees a field when any of their roles does.
"""

from __future__ import annotations

from typing import Any

from epitrace.accounts.memberships import user_memberships
from epitrace.accounts.roles import Role

DIRECT_IDENTIFIERS = frozenset(
    {"given_name", "middle_name", "family_name", "suffix", "birth_date", "street", "unit"}
)

# role -> model label -> fields hidden from that role
HIDDEN: dict[str, dict[str, frozenset[str]]] = {
    Role.ANALYST: {
        "people.person": DIRECT_IDENTIFIERS | {"postcode", "guardian"},
        "people.contactpoint": frozenset({"value"}),
        "people.personidentifier": frozenset({"value"}),
    },
}
# role -> model label -> the only fields shown to that role
ONLY: dict[str, dict[str, frozenset[str]]] = {
    Role.CBO_COORDINATOR: {
        "people.person": frozenset({"id", "given_name", "family_name", "preferred_language"}),
        "people.contactpoint": frozenset({"kind", "value"}),
    },
    Role.OUTREACH: {
        "people.person": frozenset(
            {"id", "given_name", "family_name", "preferred_language", "city"}
        ),
        "people.contactpoint": frozenset({"kind", "value"}),
    },
}


def roles_of(user: Any) -> set[str]:
    cached = getattr(user, "_epitrace_roles", None)
    if cached is None:
        if getattr(user, "is_system", False) or getattr(user, "client", None) is not None:
            cached = set()
        else:
            cached = {membership.role for membership in user_memberships(user)}
        user._epitrace_roles = cached
    return cached


def shows_field(user: Any, label: str, field: str) -> bool:
    """True when at least one role of ``user`` may see ``field`` of ``label``."""
    roles = roles_of(user)
    if not roles:  # the system identity and API clients: their capabilities decide
        return True
    return any(_role_shows(role, label, field) for role in roles)


def _role_shows(role: str, label: str, field: str) -> bool:
    only = ONLY.get(role, {}).get(label)
    if only is not None:
        return field in only
    return field not in HIDDEN.get(role, {}).get(label, frozenset())
