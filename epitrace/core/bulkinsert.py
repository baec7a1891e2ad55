"""Inserting many new model instances fast, ids set: COPY on PostgreSQL.

``bulk_create`` builds one INSERT with a parameter per value and runs every
value through the field machinery; for the importer's hundred thousand rows
a minute that costs more than the database's own work. Here, on
PostgreSQL, the ids are taken from the table's sequence in one query, the
rows go through ``COPY ... FROM STDIN`` as plain Python values, and the
instances get their ids as ``bulk_create`` would give them. Other backends
use ``bulk_create``.

Only for plain new rows: values are read from the instances' attributes as
they are (field defaults are set when an instance is made), ``auto_now`` and
``auto_now_add`` fields get the current time, JSON fields are wrapped for
the driver. Related instances saved since they were assigned are picked up
as ``save()`` would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone
from psycopg.types.json import Jsonb

_sequences: dict[str, str] = {}


def insert(objs: Sequence[models.Model]) -> None:
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    meta = model._meta
    now = timezone.now()
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    stamped = [
        f.attname
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    jsons = [f.attname for f in fields if isinstance(f, models.JSONField)]
    names = [meta.pk.attname] + [f.attname for f in fields]
    columns = ", ".join(
        connection.ops.quote_name(c) for c in [meta.pk.column] + [f.column for f in fields]
    )
    # Rows whose key is another row's (a one-to-one primary key) bring their own.
    ids = (
        [obj.pk for obj in objs]
        if all(obj.pk is not None for obj in objs)
        else _allocate(meta.db_table, meta.pk.column, len(objs))
    )
    for obj, pk in zip(objs, ids, strict=True):
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        obj.pk = pk
        for name in stamped:
            setattr(obj, name, now)
    table = connection.ops.quote_name(meta.db_table)
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            values = obj.__dict__
            row: list[Any] = [values[name] for name in names]
            for name in jsons:
                index = names.index(name)
                if row[index] is not None:
                    row[index] = Jsonb(row[index])
            copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _allocate(table: str, column: str, count: int) -> list[int]:
    sequence = _sequences.get(table)
    with connection.cursor() as cursor:
        if sequence is None:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            sequence = _sequences[table] = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]


def insert_rows(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert plain value rows (attnames ``names``) whose ids nobody needs back:
    link rows such as idempotency or blocking keys. The table numbers them."""
    if not rows:
        return
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    fields = [meta.get_field(name) for name in names]
    columns = ", ".join(
        connection.ops.quote_name(f.column) for f in fields if isinstance(f, models.Field)
    )
    if connection.vendor == "postgresql":
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
