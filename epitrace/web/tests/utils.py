"""Helpers for the staff page tests."""

from __future__ import annotations

import re

_TOKENS = re.compile(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+')


def without_csrf_tokens(body: bytes) -> bytes:
    """A page with its CSRF tokens blanked: they are masked afresh on every render."""
    return _TOKENS.sub(rb"\1", body)
