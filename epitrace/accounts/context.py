"""Template context for the sign-in pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def demo(request: HttpRequest) -> dict[str, Any]:
    """Outside production, the two-factor page says where the demo's codes come from."""
    return {"EPITRACE_DEMO_HINTS": not settings.PRODUCTION}
