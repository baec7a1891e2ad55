from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _own_cache(settings: Any, request: pytest.FixtureRequest) -> None:
    # allauth keeps its rate limits and used TOTP codes in the cache, and the
    # menus their answers: each test gets its own, so nothing counted or kept
    # in one leaks into another.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }
