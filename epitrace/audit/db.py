"""The database guards around the audit tables, seen from the application.

Triggers (migration 0002) refuse UPDATE and DELETE on events, checkpoints and
the ledger, refuse deleting heads or moving them backwards, and let payload
rows be deleted only by a purge:

- PostgreSQL: the trigger reads a transaction-local setting,
  ``SET LOCAL epitrace.purge = 'on'`` (``set_config(..., true)``), which
  ends with the transaction whatever happens.
- SQLite: a trigger cannot read a session setting, so it looks for a row in
  the small ``audit_gate`` table that the purge inserts and deletes again in
  the same transaction. SQLite has a single writer, so no other transaction
  can ever see that row.

``flush`` (Django's "empty the whole database", which the test runner uses
between transactional tests) is let through the same way on SQLite; on
PostgreSQL it is a TRUNCATE, which row triggers do not see.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.transaction import TransactionManagementError

GATE_TABLE = "audit_gate"
AUDIT_TABLES = (
    "audit_event",
    "audit_payload",
    "audit_chain_head",
    "audit_checkpoint",
    "audit_ledger",
)
_OPEN = {
    "postgresql": "SELECT set_config('epitrace.purge', 'on', true)",
    "sqlite": f"INSERT INTO {GATE_TABLE} (purpose) VALUES ('purge')",  # noqa: S608
}
_CLOSE = {
    "postgresql": "SELECT set_config('epitrace.purge', 'off', true)",
    "sqlite": f"DELETE FROM {GATE_TABLE} WHERE purpose = 'purge'",  # noqa: S608
}


@contextmanager
def payload_erasure(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Allow deleting audit payloads inside this block of the current transaction."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise TransactionManagementError("payload erasure must run inside a transaction")
    vendor = connection.vendor
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if vendor in _OPEN:
            cursor.execute(_OPEN[vendor])
        yield
        if vendor in _CLOSE:
            cursor.execute(_CLOSE[vendor])


def allow_flush_on_sqlite(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: let ``flush`` empty the audit tables on SQLite.

    Without it every transactional test that wrote an audit row would fail in
    its teardown. Only the exact ``flush`` statement list is wrapped; a
    DELETE from application code still meets the triggers.
    """
    if connection.vendor != "sqlite" or getattr(connection.ops, "_audit_flush_gate", False):
        return
    original = connection.ops.execute_sql_flush

    def execute_sql_flush(sql_list: Sequence[str]) -> None:
        statements = list(sql_list)
        touches_audit = any(f'"{t}"' in sql for sql in statements for t in AUDIT_TABLES)
        if touches_audit and GATE_TABLE in connection.introspection.table_names():
            statements = [
                f"INSERT OR IGNORE INTO {GATE_TABLE} (purpose) VALUES ('flush')",  # noqa: S608
                *statements,
                f"DELETE FROM {GATE_TABLE} WHERE purpose = 'flush'",  # noqa: S608
            ]
        original(statements)

    setattr(connection.ops, "execute_sql_flush", execute_sql_flush)  # noqa: B010
    setattr(connection.ops, "_audit_flush_gate", True)  # noqa: B010
