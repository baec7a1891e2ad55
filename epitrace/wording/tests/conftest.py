"""Administrators on both sides of the boundary, for the wording screens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from epitrace.testing import factories as f

ADMIN_ROLES = ("state_admin", "lhd_director", "user_admin")


@dataclass
class Admins:
    state: Any
    a: Any
    b: Any


@pytest.fixture
def admins(personas: Any) -> Admins:
    state = f.UserFactory.create(username="state.admin")
    f.MembershipFactory.create(user=state, jurisdiction=personas.state, role="state_admin")
    sides = {}
    for side in ("a", "b"):
        user = f.UserFactory.create(username=f"director.{side}")
        jurisdiction = getattr(personas, side).jurisdiction
        f.MembershipFactory.create(user=user, jurisdiction=jurisdiction, role="lhd_director")
        sides[side] = user
    return Admins(state, sides["a"], sides["b"])
