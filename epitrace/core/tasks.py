"""Housekeeping jobs that every installation runs."""

from __future__ import annotations

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task


@db_periodic_task(crontab(hour="3", minute="15"))
@lock_task("clear-expired-sessions")
def clear_expired_sessions() -> None:
    """Delete expired staff sessions nightly (idle sessions end after 30 minutes)."""
    call_command("clearsessions")
