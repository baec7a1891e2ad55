"""The person grants of a restricted query, as subqueries written out once.

Every restricted query of a model with ``person_paths`` carries two
subqueries besides its jurisdiction rule: the persons shared with one of
the user's jurisdictions (``RecordShare``) and the persons of the user's
unexpired break-glass accesses (``BreakGlass``). A case page runs half a
dozen such queries, and building those subqueries through the ORM (a
queryset each, resolved, cloned into the outer query and compiled there)
cost more than the rest of ``restrict()``. Here each is an expression whose
SQL is written from the models' metadata once per database vendor, with
the same conditions and columns the querysets had, so the outer query's
plan is unchanged: ``path IN (SELECT person_id FROM ... WHERE ...)``.

They are self-contained (their own table alias, nothing from the outer
query), so they stay correct wherever the ORM puts the restricted query:
a subquery of another, a union, a relabelled join.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Set
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression
from django.db.models.sql.compiler import SQLCompiler

_PERSON_ID: models.Field[Any, Any] = models.BigIntegerField()


class SharedPersons(Expression):
    """Ids of the persons shared, and not revoked, with any of ``jurisdiction_ids``."""

    def __init__(self, jurisdiction_ids: Set[int]) -> None:
        super().__init__(output_field=_PERSON_ID)
        self.jurisdiction_ids = tuple(sorted(jurisdiction_ids))

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        sql = _shared_sql(connection, len(self.jurisdiction_ids))
        return sql, list(self.jurisdiction_ids)


class BreakGlassPersons(Expression):
    """Ids of the persons ``user_id`` holds a break-glass access to that expires after ``now``."""

    def __init__(self, user_id: int, now: dt.datetime) -> None:
        super().__init__(output_field=_PERSON_ID)
        self.user_id, self.now = user_id, now

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        # The value a DateTimeField lookup would pass (naive UTC text on SQLite).
        now = connection.ops.adapt_datetimefield_value(self.now)
        return _break_glass_sql(connection), [now, self.user_id]


@functools.lru_cache(maxsize=128)
def shared_persons(jurisdiction_ids: frozenset[int]) -> SharedPersons:
    """One expression per set of jurisdictions (the ORM copies it when it uses it)."""
    return SharedPersons(jurisdiction_ids)


# The statements hold no value, only names and placeholders: written once per
# vendor (and number of jurisdictions), with the quoting of the connection at hand.
_statements: dict[tuple[str, str, int], str] = {}


def _shared_sql(connection: BaseDatabaseWrapper, count: int) -> str:
    key = ("shared", connection.vendor, count)
    sql = _statements.get(key)
    if sql is None:
        from epitrace.jurisdictions.models import RecordShare

        table, column = quoted_names(RecordShare, connection)
        marks = ", ".join(["%s"] * count)
        sql = _statements[key] = (
            f"(SELECT U0.{column('person')} FROM {table} U0"  # noqa: S608 - model names only
            f" WHERE (U0.{column('jurisdiction')} IN ({marks})"
            f" AND U0.{column('revoked_at')} IS NULL))"
        )
    return sql


def _break_glass_sql(connection: BaseDatabaseWrapper) -> str:
    key = ("break-glass", connection.vendor, 0)
    sql = _statements.get(key)
    if sql is None:
        from epitrace.jurisdictions.models import BreakGlass

        table, column = quoted_names(BreakGlass, connection)
        sql = _statements[key] = (
            f"(SELECT U0.{column('person_id')} FROM {table} U0"  # noqa: S608 - model names only
            f" WHERE (U0.{column('expires_at')} > %s AND U0.{column('user')} = %s))"
        )
    return sql


def quoted_names(
    model: type[models.Model], connection: BaseDatabaseWrapper
) -> tuple[str, Callable[[str], str]]:
    """The quoted table name, and a function giving a field's quoted column
    (for statements written out once from a model's metadata)."""
    quote = connection.ops.quote_name
    meta = model._meta

    def column(name: str) -> str:
        field = meta.get_field(name)
        assert isinstance(field, models.Field)
        return str(quote(str(field.column)))

    return str(quote(meta.db_table)), column
