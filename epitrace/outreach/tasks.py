"""The outbox's scheduled job: send what is due, every minute, in the huey worker.

``make demo``'s worker runs it; a large installation runs ``epitrace outbox
dispatch`` processes as well (any number), which share the work safely.
The lock keeps one such job per huey installation at a time.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from epitrace.outreach.dispatcher.worker import Dispatcher

JOB_SECONDS = 50  # ends before the next minute's run starts


@db_periodic_task(crontab(minute="*"))
@lock_task("outreach-dispatch")
def dispatch_outbox() -> None:
    Dispatcher().run(once=True, max_seconds=JOB_SECONDS)
