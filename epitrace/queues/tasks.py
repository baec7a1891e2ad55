"""Scheduled queue jobs: expired claims back to their queue; priorities refreshed.

Next already returns expired claims before it claims, so the minute job only
keeps supervisors' figures true when nobody presses Next. The hourly refresh
re-scores every active item, so the waiting-time part of the score grows and
a specimen leaving the tracing window lowers the item, between imports.
Each holds a queue lock: several workers never run one twice at once.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from epitrace.queues.claims import release_expired
from epitrace.queues.refresh import refresh_all


@db_periodic_task(crontab(minute="*"))
@lock_task("queues-release-expired")
def release_expired_claims() -> None:
    while release_expired():
        pass


@db_periodic_task(crontab(minute="7"))
@lock_task("queues-refresh-priorities")
def refresh_priorities() -> None:
    refresh_all()
