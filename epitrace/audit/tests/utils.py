"""Helpers for the audit tests: tampering the way an intruder with SQL access would."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from epitrace.audit import triggers
from epitrace.audit.models import AuditEvent
from epitrace.audit.verify import Problem, Report

TABLES = ("audit_event", "audit_payload", "audit_chain_head", "audit_checkpoint", "audit_ledger")


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run ``sql`` with the append-only triggers off, then put them back.

    PostgreSQL: ``ALTER TABLE ... DISABLE TRIGGER ALL`` (what a superuser
    would do); SQLite: drop the triggers and create them again.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        else:
            for name in triggers.SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            for table in TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            triggers.install(connection)


def drop_unique_chain_seq() -> None:
    """Let a second row take an existing seq (an intruder can drop the constraint too).

    SQLite keeps the constraint inside the table definition; dropping it means
    rebuilding the table, so the tests that need this run on PostgreSQL only.
    """
    if connection.vendor != "postgresql":
        pytest.skip("SQLite cannot drop a UNIQUE table constraint in place")
    tamper("ALTER TABLE audit_event DROP CONSTRAINT auditevent_unique_chain_seq")


def copy_row(event: AuditEvent, **changes: Any) -> None:
    """Insert a copy of ``event`` (a new id) with some columns changed."""
    columns = [f.column for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    values = [changes.get(column, getattr(event, column)) for column in columns]
    placeholders = ", ".join(["%s"] * len(columns))
    tamper(
        f"INSERT INTO audit_event ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
        values,
    )


def problems_at(report: Report, event: AuditEvent | None = None, **where: Any) -> list[Problem]:
    """The problems naming ``event`` (by id, chain and seq) or matching ``where``."""
    if event is not None:
        where = {"event_id": event.pk, "chain": event.chain, "seq": event.seq, **where}
    return [
        p for p in report.problems if all(getattr(p, key) == value for key, value in where.items())
    ]
