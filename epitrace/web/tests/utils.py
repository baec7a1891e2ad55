"""Helpers for the staff page tests."""

from __future__ import annotations

import re
from html import unescape

from django.test import Client

_TOKENS = re.compile(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+')


def without_csrf_tokens(body: bytes) -> bytes:
    """A page with its CSRF tokens blanked: they are masked afresh on every render."""
    return _TOKENS.sub(rb"\1", body)


# An element the page fills as soon as it has loaded (htmx): its address and trigger.
_LAZY = re.compile(r'<[^>]*\shx-get="(?P<url>[^"]+)"[^>]*\shx-trigger="load\b[^"]*"')


def lazy_parts(body: str) -> list[str]:
    """The addresses of the parts a page fetches as it loads, in page order."""
    return [unescape(match["url"]) for match in _LAZY.finditer(body)]


def page_as_shown(client: Client, url: str) -> str:
    """A page as the browser shows it: the page, then each part it loads (htmx requests)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    parts = []
    for part in lazy_parts(body):
        fetched = client.get(part, headers={"HX-Request": "true"})
        assert fetched.status_code == 200, (part, fetched.status_code)
        parts.append(fetched.content.decode())
    return "\n".join([body, *parts])
