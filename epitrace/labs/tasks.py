"""Scheduled lab-feed jobs: the drop-folder pull and the feed watch.

The pull's schedule comes from ``EPITRACE_DROP_FOLDER_SCHEDULE`` (cron minute
and hour); the watch runs every 15 minutes. Each holds a queue lock, so
several workers on several hosts never run one twice at once.
"""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from epitrace.labs.feeds.dropfolder import pull_drop_folder
from epitrace.labs.feeds.monitor import check_feeds

_MINUTE, _HOUR = settings.EPITRACE_DROP_FOLDER_SCHEDULE.split()


@db_periodic_task(crontab(minute=_MINUTE, hour=_HOUR))
@lock_task("labs-drop-folder-pull")
def pull_lab_drop_folder() -> None:
    """Import the drop folder's inbox; a delivery may end an outage, so check at once."""
    result = pull_drop_folder()
    if result.files:
        check_feeds()


@db_periodic_task(crontab(minute="*/15"))
@lock_task("labs-feed-check")
def check_lab_feeds() -> None:
    """Raise or clear the overdue-feed alerts."""
    check_feeds()
