"""Fixtures of the profile screens: who may change profiles, and the audit trail's keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from epitrace.accounts.models import User
from epitrace.accounts.testing import StaffClient
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas


@pytest.fixture(autouse=True)
def audit_keys(settings: SettingsWrapper, tmp_path: Path) -> None:
    """The audit trail's keys of this test, so no test writes a key file of its own."""
    settings.EPITRACE_AUDIT_KEY = "profiles-test-chain-key-0123456789abcdef0123456789"
    settings.EPITRACE_AUDIT_SIGNING_KEY = "profiles-test-signing-key-0123456789abcdef012345"
    settings.EPITRACE_AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")


def signed_in(user: User) -> Client:
    client = StaffClient()
    client.force_login(user)
    return client


@pytest.fixture
def epi_a(personas: Personas) -> User:
    """An epidemiologist of LHD A: may preview changes for LHD A, not change the rules."""
    user = f.UserFactory.create(username="epi.a")
    f.MembershipFactory.create(
        user=user, jurisdiction=personas.a.jurisdiction, role="epidemiologist"
    )
    return user


@pytest.fixture
def state_client(personas: Personas) -> Client:
    return signed_in(personas.state_epi)


@pytest.fixture
def tracer_client(personas: Personas) -> Client:
    return signed_in(personas.a.tracer)
