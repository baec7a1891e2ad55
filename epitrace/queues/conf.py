"""Queue settings: from Django settings when set there, else from the environment.

Read here so the app carries its own defaults (docs/queues.md lists them);
config/settings.py may define any of these names to override them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from epitrace.lib.env import ConfigurationError, envint


def _minutes(name: str, default: int, *, low: int = 1) -> dt.timedelta:
    value = getattr(settings, name, None)
    minutes = int(value) if value is not None else envint(name, default)
    if minutes < low:
        raise ConfigurationError(f"{name} must be at least {low} minutes, got {minutes}")
    return dt.timedelta(minutes=minutes)


def _count(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    count = int(value) if value is not None else envint(name, default)
    if count < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {count}")
    return count


def claim_timeout() -> dt.timedelta:
    """How long a claim lasts without activity before the item returns to the queue."""
    return _minutes("EPITRACE_QUEUE_CLAIM_MINUTES", 30)


def language_wait() -> dt.timedelta:
    """How long an item waits for a tracer who speaks its language before anyone may take it."""
    return _minutes("EPITRACE_QUEUE_LANGUAGE_WAIT_MINUTES", 60, low=0)


def retry_delay() -> dt.timedelta:
    """After an attempt that did not reach the person, how long before the item is offered again."""
    return _minutes("EPITRACE_QUEUE_RETRY_MINUTES", 120, low=0)


def release_cooldown() -> dt.timedelta:
    """How long Next keeps an item away from the tracer who just released it."""
    return _minutes("EPITRACE_QUEUE_RELEASE_COOLDOWN_MINUTES", 15, low=0)


def max_attempts() -> int:
    """Attempts without reaching the person before the item is closed as not reached."""
    return _count("EPITRACE_QUEUE_MAX_ATTEMPTS", 3)


def max_claims() -> int:
    """Items one tracer may hold at once: Next refuses more, so nobody hoards work."""
    return _count("EPITRACE_QUEUE_MAX_CLAIMS", 5)
