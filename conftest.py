"""Shared pytest fixtures: personas on both sides of the jurisdiction boundary."""

from __future__ import annotations

import pytest

from epitrace.testing.personas import Personas, build_personas


@pytest.fixture
def personas(db: None) -> Personas:
    return build_personas()
