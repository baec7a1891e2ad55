"""Shared pytest fixtures: personas on both sides of the jurisdiction boundary,
and a real chromium (Debian's) for the browser tests."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from django.test import Client

from epitrace.testing.personas import Personas, build_personas

# Playwright's sync API keeps an event loop running in the test process from the
# first browser test on; the ORM calls of the tests are still synchronous and
# safe, so Django's guard against ORM use inside a running loop is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Argon2 is slow on purpose; hundreds of test users need no such cost.
    # It stays second so argon2 hashes still verify, and first in production.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture
def personas(db: None) -> Personas:
    return build_personas()


@pytest.fixture
def client() -> Client:
    """A client whose force_login includes the second factor staff must pass.

    Tests about signing in itself build a plain ``django.test.Client``.
    """
    from epitrace.accounts.testing import StaffClient

    return StaffClient()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is missing: `make test` installs Debian's chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
