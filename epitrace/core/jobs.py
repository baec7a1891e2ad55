"""The one door to background jobs.

Jobs run on huey (SQLite storage embedded, Redis in production). Product
code enqueues through :func:`enqueue` after its transaction commits, so a
rolled-back change never starts a job, and the job library can be swapped
without touching callers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from huey.contrib.djhuey import HUEY

log = logging.getLogger(__name__)


def enqueue(task: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``task`` in a worker once the current transaction commits."""
    transaction.on_commit(lambda: task(*args, **kwargs))


def job_queue_reachable() -> bool:
    """True when the job storage answers (Redis ping, or the SQLite file opens)."""
    try:
        HUEY.storage.queue_size()
    except Exception:  # any storage error means "not ready"
        log.warning("readiness: job queue unreachable", exc_info=True)
        return False
    return True
