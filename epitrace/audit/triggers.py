"""The append-only triggers, per database, installed by migration 0002.

Kept here, not inside the migration, because SQLite rebuilds a table on most
schema changes and drops its triggers with it: a later migration that alters
an audit table must call :func:`install` again (``verify`` reports missing or
disabled triggers, so a forgotten reinstall does not go unnoticed).

Errors are raised as integrity violations on both databases (SQLSTATE 23001
on PostgreSQL, ``RAISE(ABORT)`` on SQLite), so Django reports an
``IntegrityError`` either way.
"""

# ruff: noqa: S608  (fixed DDL assembled from constants; no input reaches it)
from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

_REFUSE = "epitrace audit: the audit trail is append-only"

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_REFUSE} (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.chain <> OLD.chain OR NEW.last_seq < OLD.last_seq THEN
            RAISE EXCEPTION '{_REFUSE}: a chain head only moves forward'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END;
    $$
    """,
    # Deleting a payload needs SET LOCAL epitrace.purge = 'on' (only purge sets it);
    # the purge events' own payloads, which say what was erased, never go.
    f"""
    CREATE OR REPLACE FUNCTION audit_payload_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE'
           AND current_setting('epitrace.purge', true) = 'on'
           AND NOT EXISTS (
               SELECT 1 FROM audit_event e WHERE e.id = OLD.event_id AND e.action = 'purge'
           ) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{_REFUSE}: % on audit_payload outside a purge', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        for table in ("audit_event", "audit_checkpoint", "audit_ledger")
    ),
    "CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    "CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()",
    "CREATE TRIGGER audit_payload_guard BEFORE UPDATE OR DELETE ON audit_payload "
    "FOR EACH ROW EXECUTE FUNCTION audit_payload_guard()",
]

POSTGRESQL_TRIGGERS = {
    "audit_event": ["audit_event_append_only"],
    "audit_checkpoint": ["audit_checkpoint_append_only"],
    "audit_ledger": ["audit_ledger_append_only"],
    "audit_chain_head": ["audit_chain_head_no_delete", "audit_chain_head_forward_only"],
    "audit_payload": ["audit_payload_guard"],
}

POSTGRESQL_REMOVE = [
    *(
        f"DROP TRIGGER IF EXISTS {trigger} ON {table}"
        for table, triggers in POSTGRESQL_TRIGGERS.items()
        for trigger in triggers
    ),
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
    "DROP FUNCTION IF EXISTS audit_head_forward_only()",
    "DROP FUNCTION IF EXISTS audit_payload_guard()",
]

# SQLite: the gate table stands in for PostgreSQL's transaction-local setting
# (see epitrace/audit/db.py); 'flush' is Django's whole-database flush.
_FLUSHING = "EXISTS (SELECT 1 FROM audit_gate WHERE purpose = 'flush')"
_PURGING = "EXISTS (SELECT 1 FROM audit_gate WHERE purpose = 'purge')"


def _sqlite_trigger(name: str, when: str, table: str, condition: str, message: str) -> str:
    return (
        f"CREATE TRIGGER {name} BEFORE {when} ON {table} "
        f"FOR EACH ROW WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}{message}'); END"
    )


SQLITE_INSTALL = [
    "CREATE TABLE IF NOT EXISTS audit_gate (purpose TEXT NOT NULL PRIMARY KEY)",
    *(
        statement
        for table in ("audit_event", "audit_checkpoint", "audit_ledger")
        for statement in (
            _sqlite_trigger(f"{table}_no_update", "UPDATE", table, "1", ""),
            _sqlite_trigger(f"{table}_no_delete", "DELETE", table, f"NOT {_FLUSHING}", ""),
        )
    ),
    _sqlite_trigger(
        "audit_chain_head_no_delete", "DELETE", "audit_chain_head", f"NOT {_FLUSHING}", ""
    ),
    _sqlite_trigger(
        "audit_chain_head_forward_only",
        "UPDATE",
        "audit_chain_head",
        "NEW.chain <> OLD.chain OR NEW.last_seq < OLD.last_seq",
        ": a chain head only moves forward",
    ),
    _sqlite_trigger("audit_payload_no_update", "UPDATE", "audit_payload", "1", ""),
    _sqlite_trigger(
        "audit_payload_no_delete",
        "DELETE",
        "audit_payload",
        f"NOT {_FLUSHING} AND NOT ({_PURGING} AND COALESCE("
        "(SELECT action FROM audit_event WHERE id = OLD.event_id), '') <> 'purge')",
        ": payloads are deleted only by a purge",
    ),
]

SQLITE_TRIGGERS = [
    "audit_event_no_update",
    "audit_event_no_delete",
    "audit_checkpoint_no_update",
    "audit_checkpoint_no_delete",
    "audit_ledger_no_update",
    "audit_ledger_no_delete",
    "audit_chain_head_no_delete",
    "audit_chain_head_forward_only",
    "audit_payload_no_update",
    "audit_payload_no_delete",
]

SQLITE_REMOVE = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    "DROP TABLE IF EXISTS audit_gate",
]


def install(connection: BaseDatabaseWrapper) -> None:
    statements = {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}
    _run(connection, statements.get(connection.vendor, []))


def remove(connection: BaseDatabaseWrapper) -> None:
    statements = {"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE}
    _run(connection, statements.get(connection.vendor, []))


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def missing(connection: BaseDatabaseWrapper) -> list[str]:
    """Append-only triggers that are absent or disabled (empty when all are in force)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
            )
            active = {row[0] for row in cursor.fetchall()}
            expected = [t for triggers in POSTGRESQL_TRIGGERS.values() for t in triggers]
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            active = {row[0] for row in cursor.fetchall()}
            expected = SQLITE_TRIGGERS
        else:
            return []
    return [name for name in expected if name not in active]
