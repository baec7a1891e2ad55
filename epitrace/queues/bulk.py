"""One UPDATE for many rows, each with its own values.

Django's ``bulk_update`` writes ``SET col = CASE WHEN id = 1 THEN ... WHEN id
= 2 ...``: the database walks the whole CASE for every row, so 2,000 rows
cost 2,000 x 2,000 comparisons. On PostgreSQL this joins a VALUES list
instead (``UPDATE ... FROM (VALUES ...)``), linear in the rows; SQLite keeps
``bulk_update`` (its batches are small anyway: 999 parameters per statement).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

BATCH = 5000


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Set ``fields`` of each row: ``rows`` are ``(pk, value of fields[0], ...)``."""
    if not rows:
        return
    meta = model._meta
    if connection.vendor != "postgresql":
        attnames = [meta.get_field(name).attname for name in fields]  # type: ignore[union-attr]
        objects = [model(pk=row[0], **dict(zip(attnames, row[1:], strict=True))) for row in rows]
        model._base_manager.bulk_update(objects, list(fields))
        return
    columns = [meta.pk] + [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    casts = [f"%s::{column.db_type(connection)}" for column in columns]  # type: ignore[union-attr]
    names = [quote(str(column.column)) for column in columns]  # type: ignore[union-attr]
    sets = ", ".join(f"{name} = v.{name}" for name in names[1:])
    table = quote(meta.db_table)
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        values = ", ".join(f"({', '.join(casts)})" for _ in chunk)
        sql = (
            f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS v({', '.join(names)}) "  # noqa: S608 - names from _meta
            f"WHERE {table}.{names[0]} = v.{names[0]}"
        )
        params = [
            field.get_db_prep_save(value, connection)  # type: ignore[union-attr]
            for row in chunk
            for field, value in zip(columns, row, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
