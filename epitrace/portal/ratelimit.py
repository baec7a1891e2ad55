"""Counters that slow guessing down: bad tokens, code requests and wrong codes.

Kept in the configured cache (Redis when several web processes run, so they
count together). A counter lives for its window from its first hit; once it
reaches the limit the caller refuses before checking anything else, so a
guesser learns nothing more than "expired" until the window ends.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str
    hits: int
    seconds: int


# A person mistypes a link or a code a few times; a guesser needs millions.
BAD_TOKENS_PER_IP = Limit("token-ip", 10, 60)
CODES_PER_IP = Limit("code-ip", 10, 3600)
CODES_PER_PHONE = Limit("code-phone", 3, 3600)
WRONG_CODES_PER_IP = Limit("wrong-code-ip", 20, 3600)


def _key(limit: Limit, subject: str) -> str:
    # Hashed: a phone number must not appear as a cache key (nothing personal in logs).
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"portal:{limit.name}:{digest}"


def exceeded(limit: Limit, subject: str) -> bool:
    return int(cache.get(_key(limit, subject)) or 0) >= limit.hits


def hit(limit: Limit, subject: str) -> int:
    """Count one event; returns the count in the current window."""
    key = _key(limit, subject)
    if cache.add(key, 1, timeout=limit.seconds):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds)
        return 1
