"""What every staff page shows about the signed-in user: memberships and menu.

The memberships are read once per request, lazily: a page fragment that
never shows the top bar runs no query, and the home view, the scope checks
and the menus reuse the same list the top bar renders
(:func:`epitrace.accounts.memberships.user_memberships`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from epitrace.accounts.memberships import user_memberships
from epitrace.accounts.models import Membership
from epitrace.accounts.roles import role_grants
from epitrace.jurisdictions.models import Jurisdiction

_ATTR = "_epitrace_navigation"


class Navigation:
    """The signed-in user's memberships and what the menu may offer them."""

    def __init__(self, user: Any) -> None:
        self.user = user

    @property
    def memberships(self) -> list[Membership]:
        # The request's one read, shared with the scope checks and the field rules.
        return user_memberships(self.user)

    @property
    def jurisdictions(self) -> list[Jurisdiction]:
        seen: dict[int, Jurisdiction] = {}
        for membership in self.memberships:
            seen.setdefault(membership.jurisdiction_id, membership.jurisdiction)
        return list(seen.values())

    @property
    def roles(self) -> set[str]:
        return {membership.role for membership in self.memberships}

    def grants(self, capability: str) -> bool:
        return any(role_grants(m.role, capability) for m in self.memberships)

    @property
    def shows_cases(self) -> bool:
        return self.grants("cases.view_case")

    @property
    def shows_people(self) -> bool:
        return self.grants("people.view_person")

    @property
    def shows_duplicates(self) -> bool:
        return self.grants("people.merge_person")

    @property
    def shows_lab_errors(self) -> bool:
        # Rejected messages have no jurisdiction yet: only state memberships see them.
        return self._at_state("labs.view_rawmessage")

    @property
    def shows_out_of_state(self) -> bool:
        return self._at_state("people.view_person")

    @property
    def shows_lab_export(self) -> bool:
        return self.grants("reports.export")

    def _at_state(self, capability: str) -> bool:
        return any(
            m.jurisdiction.parent_id is None and role_grants(m.role, capability)
            for m in self.memberships
        )

    @property
    def shows_user_admin(self) -> bool:
        return self.grants("accounts.manage_users")

    @property
    def shows_letter_templates(self) -> bool:
        # The wording is the state's: only a state membership edits it (letters/access.py).
        return self._at_state("letters.change_template")

    @property
    def shows_break_glass(self) -> bool:
        return self.grants("access.break_glass")

    @property
    def shows_break_glass_log(self) -> bool:
        return self.grants("audit.view_audit")


def navigation_for(request: HttpRequest) -> Navigation:
    """The request's navigation, built once and shared by view and layout."""
    nav = getattr(request, _ATTR, None)
    if nav is None:
        nav = Navigation(request.user)
        setattr(request, _ATTR, nav)
    return nav


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": navigation_for(request)}
