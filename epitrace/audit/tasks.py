"""The audit's periodic job: seal the chain heads every minute.

A minute is the window in which a cut tail together with a moved-back head
could go unnoticed (docs/audit.md); the job is cheap when nothing moved.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from epitrace.audit.checkpoints import do_checkpoint


@db_periodic_task(crontab(minute="*"))
@lock_task("audit-checkpoint")
def checkpoint_audit_chains() -> None:
    do_checkpoint()
