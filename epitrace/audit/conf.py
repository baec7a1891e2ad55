"""Audit settings: from Django settings when set there, else from the environment.

Read here rather than in config/settings.py so the audit app carries its own
defaults; settings.py may still define any of these names to override them
(docs/audit.md lists them).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from epitrace.lib.env import ConfigurationError, envint, envsecret, envstr


def setting_str(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    return str(value) if value not in (None, "") else envstr(name, default)


def setting_int(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    return int(value) if value is not None else envint(name, default)


def setting_secret(name: str) -> str | None:
    """A secret from settings, else ``NAME`` or the file named by ``NAME_FILE``."""
    value = getattr(settings, name, None)
    return str(value) if value else envsecret(name)


def secret_source(name: str) -> tuple[str | None, str | None, str | None]:
    """Where a secret would come from, without reading any file (a cache key)."""
    value = getattr(settings, name, None)
    return (
        str(value) if value else None,
        os.environ.get(name),
        os.environ.get(f"{name}_FILE"),
    )


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def production() -> bool:
    return bool(getattr(settings, "PRODUCTION", False))


def checkpoint_file() -> Path:
    """The append-only file of signed checkpoints, outside the database."""
    configured = setting_str("EPITRACE_AUDIT_CHECKPOINT_FILE")
    return Path(configured) if configured else data_dir() / "audit" / "checkpoints.jsonl"


def writer_slots() -> int:
    """How many chains a day has: enough that concurrent writers rarely share one."""
    slots = setting_int("EPITRACE_AUDIT_SLOTS", 16)
    if not 1 <= slots <= 256:
        raise ConfigurationError(f"EPITRACE_AUDIT_SLOTS must be 1..256, got {slots}")
    return slots


def proxy_count() -> int:
    """Reverse proxies in front of the app whose X-Forwarded-For entries are trusted."""
    return setting_int("EPITRACE_AUDIT_PROXY_COUNT", 0)
