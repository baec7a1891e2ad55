"""Bulk insertion for synthetic data: COPY on PostgreSQL, executemany on SQLite.

Rows arrive as dicts keyed by field attname with their primary keys already
assigned (the generator links records in memory before they are written), so
the writer never needs ids back from the database. Sequences are moved past
the inserted ids at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models


class BulkWriter:
    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.rows_written = 0
        self._default_cache: dict[type[models.Model], dict[str, Any]] = {}

    def next_id(self, model: type[models.Model]) -> int:
        """The first free primary key of ``model``'s table."""
        last = model._base_manager.aggregate(m=models.Max("pk"))["m"]
        return (last or 0) + 1

    def write(self, model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        fields = list(model._meta.concrete_fields)
        columns = [f.column for f in fields]
        names = [f.attname for f in fields]
        defaults = self._defaults(model)
        rows = [{**defaults, **row} for row in rows]
        table = connection.ops.quote_name(model._meta.db_table)
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.postgres:
            self._copy(table, quoted, names, rows)
        else:
            self._executemany(table, quoted, names, rows)
        self.rows_written += len(rows)

    def _defaults(self, model: type[models.Model]) -> dict[str, Any]:
        """Model field defaults, so generators only give the values they choose."""
        cached = self._default_cache.get(model)
        if cached is None:
            # get_default() gives "" for blank text fields, None where nullable.
            cached = {f.attname: f.get_default() for f in model._meta.concrete_fields}
            self._default_cache[model] = cached
        return cached

    def _copy(self, table: str, columns: str, names: list[str], rows: Iterable[dict]) -> None:
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.get(name) for name in names])

    def _executemany(
        self, table: str, columns: str, names: list[str], rows: Iterable[dict]
    ) -> None:
        marks = ", ".join(["%s"] * len(names))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from _meta
        values = [[_sqlite_value(row.get(name)) for name in names] for row in rows]
        with connection.cursor() as cursor:
            cursor.executemany(sql, values)

    def update(
        self,
        model: type[models.Model],
        column_values: Sequence[tuple[Any, ...]],
        columns: Sequence[str],
    ) -> None:
        """UPDATE table SET columns... WHERE id = last value, for each tuple."""
        if not column_values:
            return
        table = connection.ops.quote_name(model._meta.db_table)
        sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
        sql = f"UPDATE {table} SET {sets} WHERE id = %s"  # noqa: S608 - names from _meta
        with connection.cursor() as cursor:
            cursor.executemany(
                sql,
                [tuple(map(_sqlite_value, v)) if not self.postgres else v for v in column_values],
            )

    def analyze(self, model_list: Sequence[type[models.Model]]) -> None:
        """Refresh the planner's statistics of these tables after a bulk load.

        Until autovacuum's next analyze (or forever, where it is off), the
        planner would take the tables for as small as they were before the
        load and scan them whole where an index is the right path.
        """
        with connection.cursor() as cursor:
            for model in model_list:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def reset_sequences(self, model_list: Sequence[type[models.Model]]) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _sqlite_value(value: Any) -> Any:
    # Django stores SQLite datetimes as naive UTC text and dates as ISO text.
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value)
    return value
