"""Shared pytest fixtures: personas on both sides of the jurisdiction boundary,
and a real chromium (Debian's) for the browser tests."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from epitrace.testing.personas import Personas, build_personas

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def personas(db: None) -> Personas:
    return build_personas()


@pytest.fixture(autouse=True)
def _sync_orm_beside_playwright(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Playwright's sync API runs an event loop in the test thread; the ORM calls
    # of a browser test itself are still synchronous and safe. Browser tests only.
    if request.node.get_closest_marker("browser"):
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
