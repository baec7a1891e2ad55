"""Shared pytest fixtures: personas on both sides of the jurisdiction boundary,
and a real chromium (Debian's) for the browser tests."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from epitrace.testing.personas import Personas, build_personas

# Playwright's sync API keeps an event loop running in the test process from the
# first browser test on; the ORM calls of the tests are still synchronous and
# safe, so Django's guard against ORM use inside a running loop is lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def personas(db: None) -> Personas:
    return build_personas()


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
