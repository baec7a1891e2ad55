"""Outreach settings, read from Django settings (config/settings.py) and checked once.

Each reader fails loudly on a malformed value: a dispatcher that silently
sent outside the window or retried forever would be worse than one that
does not start.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from epitrace.lib.env import ConfigurationError

TRANSPORTS = {
    "sms": ("twilio", "console"),
    "email": ("smtp", "console"),
    "en": ("server", "console"),
}
_SETTING = {
    "sms": "EPITRACE_SMS_TRANSPORT",
    "email": "EPITRACE_EMAIL_TRANSPORT",
    "en": "EPITRACE_EN_TRANSPORT",
}
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Window:
    """The local hours a person may be messaged in: [start, end)."""

    start: dt.time
    end: dt.time


def transport_name(channel: str) -> str:
    name = str(getattr(settings, _SETTING[channel]))
    if name not in TRANSPORTS[channel]:
        choices = " or ".join(TRANSPORTS[channel])
        raise ConfigurationError(f"{_SETTING[channel]} must be {choices}, got {name!r}")
    return name


@cache
def _parse_window(raw: str) -> Window:
    found = _WINDOW.match(raw.strip())
    if not found:
        raise ConfigurationError(f"EPITRACE_OUTREACH_WINDOW must be HH:MM-HH:MM, got {raw!r}")
    h1, m1, h2, m2 = (int(x) for x in found.groups())
    try:
        start, end = dt.time(h1, m1), dt.time(h2, m2)
    except ValueError as exc:
        raise ConfigurationError(f"EPITRACE_OUTREACH_WINDOW: {exc}") from exc
    if start >= end:
        raise ConfigurationError("EPITRACE_OUTREACH_WINDOW must start before it ends")
    return Window(start, end)


def window() -> Window:
    return _parse_window(str(settings.EPITRACE_OUTREACH_WINDOW))


def _positive(name: str) -> int:
    value = int(getattr(settings, name))
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {value}")
    return value


def max_attempts() -> int:
    """Provider attempts before a message with transient failures is given up."""
    return _positive("EPITRACE_OUTREACH_MAX_ATTEMPTS")


def retry_delay(attempt: int) -> dt.timedelta:
    """Exponential backoff after failed attempt number ``attempt`` (1-based), capped."""
    base = _positive("EPITRACE_OUTREACH_RETRY_SECONDS")
    cap = _positive("EPITRACE_OUTREACH_RETRY_MAX_SECONDS")
    return dt.timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), cap))


def lease() -> dt.timedelta:
    """A dispatcher that has not renewed its heartbeat for this long is taken for dead."""
    return dt.timedelta(seconds=_positive("EPITRACE_OUTREACH_LEASE_SECONDS"))


def sending_timeout() -> dt.timedelta:
    """A row "sending" for longer than this is reconciled whatever its worker says."""
    return dt.timedelta(seconds=_positive("EPITRACE_OUTREACH_SENDING_TIMEOUT_SECONDS"))


def threads() -> int:
    """Provider requests in flight per dispatcher process."""
    return _positive("EPITRACE_OUTREACH_THREADS")


def batch() -> int:
    """Rows claimed per database round trip."""
    return _positive("EPITRACE_OUTREACH_BATCH")


def sender_name() -> str:
    return str(settings.EPITRACE_OUTREACH_SENDER_NAME)


def public_url(path: str) -> str:
    """An absolute URL of this server, for provider callbacks."""
    return str(settings.EPITRACE_PUBLIC_URL).rstrip("/") + path


def request_timeout() -> float:
    """Seconds a provider request may take; well inside the lease (see dispatcher/worker.py)."""
    return max(min(10.0, lease().total_seconds() / 4), 1.0)
