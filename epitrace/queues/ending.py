"""Writing the end of a claim (an outcome or a release): the item's claim columns and
its open claim log entry, by SQL written once per process and database.

Saved through the ORM, the item was written whole (every column of the row) and
the claim log through a query set, both compiled again on every outcome: about a
fifth of an outcome's CPU, on the request a tracer makes after every call. The
item is locked by the caller (``services._held``), so writing only the columns
an outcome changes loses nothing another writer could have set meanwhile.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import connections, router
from django.db.models import Field

from epitrace.core.grants import quoted_names
from epitrace.queues.models import ClaimLog, WorkItem

# What completing, retrying or releasing an item may change (services.py).
ENDED_FIELDS = (
    "state",
    "outcome",
    "attempts",
    "note",
    "available_at",
    "claimed_by",
    "claimed_at",
    "claim_expires_at",
    "completed_by",
    "completed_at",
    "released_by",
    "released_at",
    "updated_at",  # as save() would stamp it (auto_now)
)


def end_claim(item: WorkItem, now: dt.datetime, ended: str) -> None:
    """Store ``item``'s claim columns as they are now and close its open claim."""
    item.updated_at = now
    alias = router.db_for_write(WorkItem, instance=item)
    connection = connections[alias]
    item_sql, log_sql = _statements(alias)
    values = [
        field.get_db_prep_save(getattr(item, field.attname), connection) for field in _fields()
    ]
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(item_sql, [*values, item.pk])
        cursor.execute(log_sql, [adapt(now), ended, item.pk])


@functools.cache
def _fields() -> tuple[Field[Any, Any], ...]:
    """The columns of ``ENDED_FIELDS``, in the model's order (the statement's)."""
    fields = tuple(f for f in WorkItem._meta.concrete_fields if f.name in ENDED_FIELDS)
    assert len(fields) == len(ENDED_FIELDS), "ENDED_FIELDS names a field without a column"
    return fields


@functools.cache
def _statements(alias: str) -> tuple[str, str]:
    """Per database (its quoting): the item's update and the claim log's."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    logs, log_column = quoted_names(ClaimLog, connection)
    sets = ", ".join(f"{quote(field.column)} = %s" for field in _fields())
    # The names come from the models' metadata, quoted; every value is a parameter.
    item_sql = f"UPDATE {quote(WorkItem._meta.db_table)} SET {sets} WHERE id = %s"  # noqa: S608
    released, ended, item = (log_column(name) for name in ("released_at", "ended", "item"))
    log_sql = (
        f"UPDATE {logs} SET {released} = %s, {ended} = %s"  # noqa: S608
        f" WHERE {item} = %s AND {released} IS NULL"
    )
    return item_sql, log_sql
