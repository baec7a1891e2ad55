"""Daily monitoring's schedule, run by the huey worker (``make demo`` starts one).

Hourly, a few minutes apart: the day's check-ins (each run adds only the
monitorees who joined since, and a part of the day whose window has closed
gets nothing late), then the non-responders, then the ends of monitoring.
Each holds a lock: several workers never run one twice at once.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from epitrace.monitoring.jobs import close_ended_monitoring, open_nonresponder_items
from epitrace.outreach.daily import build_daily_checkins


@db_periodic_task(crontab(minute="2"))
@lock_task("monitoring-daily-checkins")
def daily_checkins() -> None:
    build_daily_checkins()


@db_periodic_task(crontab(minute="22"))
@lock_task("monitoring-non-responders")
def non_responders() -> None:
    open_nonresponder_items()


@db_periodic_task(crontab(minute="42"))
@lock_task("monitoring-closing")
def ended_monitoring() -> None:
    close_ended_monitoring()
