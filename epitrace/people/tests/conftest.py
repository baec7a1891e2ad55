"""Merging is for supervisors and up (roles.py): the merge tests' actors get that role."""

from __future__ import annotations

import pytest

from epitrace.testing import factories as f
from epitrace.testing.personas import Personas


@pytest.fixture
def supervisors(personas: Personas) -> Personas:
    """The LHD tracers also supervise their own LHD, so they may merge there only."""
    for side in (personas.a, personas.b):
        f.MembershipFactory.create(
            user=side.tracer, jurisdiction=side.jurisdiction, role="supervisor"
        )
    return personas
