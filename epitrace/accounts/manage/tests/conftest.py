"""Administrators on both sides of the boundary, and a signed-in client for each.

LHD A's user administrator and the state administrator face the personas'
LHD A and LHD B. Staff must have passed a second factor to reach any page,
so :func:`sign_in` records one in the session, as a real sign-in would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from allauth.account.internal.flows.login import record_authentication
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings as SettingsWrapper

from epitrace.accounts.models import User
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas


@pytest.fixture(autouse=True)
def audit_keys(settings: SettingsWrapper, tmp_path: Path) -> None:
    """The audit trail's keys of this test, so no test writes a key file of its own."""
    settings.EPITRACE_AUDIT_KEY = "manage-test-chain-key-0123456789abcdef0123456789"
    settings.EPITRACE_AUDIT_SIGNING_KEY = "manage-test-signing-key-0123456789abcdef012345"
    settings.EPITRACE_AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")


def sign_in(client: Client, user: User) -> Client:
    """Sign ``user`` in on ``client`` with a second factor, as the MFA middleware requires."""
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    record_authentication(request, user, "mfa", type="totp")
    request.session.save()
    return client


def admin_at(username: str, jurisdiction: object, role: str = "user_admin") -> User:
    user = f.UserFactory.create(username=username)
    f.MembershipFactory.create(user=user, jurisdiction=jurisdiction, role=role)
    assert isinstance(user, User)
    return user


@pytest.fixture
def admin_a(personas: Personas) -> User:
    """LHD A's user administrator."""
    return admin_at("admin.a", personas.a.jurisdiction)


@pytest.fixture
def state_admin(personas: Personas) -> User:
    return admin_at("admin.state", personas.state, role="state_admin")


@pytest.fixture
def client_a(client: Client, admin_a: User) -> Client:
    return sign_in(client, admin_a)


@pytest.fixture
def state_client(state_admin: User) -> Client:
    return sign_in(Client(), state_admin)
