"""Reads whose SQL never changes: built and compiled by the ORM once, run many times.

A staff page runs a dozen small reads of the same shape on every view (the
person's contact points, their messages, a case's interview), each costing
more to build and compile through the ORM than to run. A :class:`Statement`
is such a read written as a queryset over its arguments::

    ATTEMPTS = Statement(lambda case: CallAttempt.objects.filter(case=case)[:20])
    attempts = ATTEMPTS.fetch(case.pk)

The first call on a database connection builds the queryset with marker
values, compiles it, and notes where the markers landed among the query's
parameters; later calls run the same SQL with their own values and turn the
rows into model instances as the ORM does (selected relations, annotations).

The queryset may depend on its arguments only: anything else it reads (the
clock, the user, a setting) would be frozen at the first call. Arguments are
integers (primary keys). Nothing here decides who may see a row: a read of
personal data goes through :class:`PersonRows`, which asks the model's rule
first, or runs for a record the caller has already looked up through its
restricted queryset.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.query import (  # type: ignore[attr-defined]
    ModelIterable,
    RelatedPopulator,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler

if TYPE_CHECKING:
    from epitrace.accounts.models import User

M = TypeVar("M", bound=models.Model)

# Marker values no primary key takes: each argument's is found among the parameters.
_MARKERS = tuple(-(2**62) - n for n in range(8))
_CACHE_ATTR = "_epitrace_statements"
# A number per statement for the connection's cache (an id() may be reused).
_numbers = itertools.count()


class StatementError(Exception):
    """A statement whose queryset does not use its arguments as plain values."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # (argument index, None) for an argument, (None, value) for a constant.
    params: tuple[tuple[int | None, Any], ...]
    compiler: SQLCompiler
    init_list: tuple[str, ...]
    model_slice: slice
    populators: tuple[RelatedPopulator, ...]
    annotations: tuple[tuple[str, int], ...]
    trim: int | None


class Statement(Generic[M]):
    """A read of model rows whose SQL depends only on its integer arguments."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], using: str = DEFAULT_DB_ALIAS):
        self.build = build
        self.using = using
        self.arity = len(inspect.signature(build).parameters)
        self.number = next(_numbers)
        if self.arity > len(_MARKERS):
            raise StatementError(f"at most {len(_MARKERS)} arguments")

    def fetch(self, *values: int) -> list[M]:
        if len(values) != self.arity:
            raise TypeError(f"{self.arity} values expected, got {len(values)}")
        connection = connections[self.using]
        compiled = self._compiled(connection)
        params = [values[i] if i is not None else constant for i, constant in compiled.params]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows: Sequence[Any] = cursor.fetchall()
        if compiled.trim is not None:
            rows = [row[: compiled.trim] for row in rows]
        return _instances(compiled, rows, self.using)

    def _compiled(self, connection: BaseDatabaseWrapper) -> _Compiled:
        # Kept on the connection: a compiler holds its connection, and each
        # thread has its own (the compiled form is per database vendor anyway).
        cache: dict[int, _Compiled] = connection.__dict__.setdefault(_CACHE_ATTR, {})
        compiled = cache.get(self.number)
        if compiled is None:
            compiled = cache[self.number] = self._compile(connection)
        return compiled

    def _compile(self, connection: BaseDatabaseWrapper) -> _Compiled:
        queryset = self.build(*_MARKERS[: self.arity])
        plain = queryset._iterable_class is ModelIterable
        if getattr(queryset, "_prefetch_related_lookups", ()) or not plain:
            raise StatementError("a statement reads model instances, without prefetching")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, raw_params = compiler.as_sql()
        slots = {marker: index for index, marker in enumerate(_MARKERS[: self.arity])}
        params: list[tuple[int | None, Any]] = []
        for value in raw_params:
            # type() and not isinstance(): True == 1, and a bool is an int.
            index = slots.get(value) if type(value) is int else None
            params.append((index, None) if index is not None else (None, value))
        used = {index for index, _ in params if index is not None}
        if used != set(range(self.arity)):
            raise StatementError("every argument must reach the query as a value of its own")
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=sql,
            params=tuple(params),
            compiler=compiler,
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            model_slice=slice(start, end),
            populators=tuple(get_related_populators(klass_info, select, self.using)),
            annotations=tuple(compiler.annotation_col_map.items()),
            trim=compiler.col_count if compiler.has_extra_select else None,
        )


def _instances(compiled: _Compiled, rows: Sequence[Any], db: str) -> list[Any]:
    """Model instances from rows, as the ORM's ModelIterable makes them."""
    model = compiled.compiler.klass_info["model"]
    found = []
    for row in compiled.compiler.results_iter([list(rows)]):
        obj = model.from_db(db, compiled.init_list, row[compiled.model_slice])
        for populator in compiled.populators:
            populator.populate(row, obj)
        for name, position in compiled.annotations:
            setattr(obj, name, row[position])
        found.append(obj)
    return found


class PersonRows(Generic[M]):
    """One person's rows of a ``scope_by_person`` model, by a statement compiled once.

    The rows of ``model.objects.of_person(user, person_id, action)`` shaped by
    ``shape`` (an ordering, a slice, selected relations, annotations): the
    person's visibility is asked first, as ``of_person`` asks it, and the
    statement adds the filter by person itself, so no shape can read another
    person's rows.
    """

    def __init__(
        self,
        model: type[M],
        shape: Callable[[models.QuerySet[M]], models.QuerySet[M]] = lambda rows: rows,
    ) -> None:
        from epitrace.core.querysets import person_path

        path = person_path(model)
        self.model = model
        self.statement: Statement[M] = Statement(
            lambda person: shape(model._default_manager.filter(**{path: person}))
        )

    def of_person(self, user: User | Any, person_id: int, action: str = "view") -> list[M]:
        from epitrace.core.querysets import person_in_reach

        if not person_in_reach(self.model, user, person_id, action):
            return []
        return self.statement.fetch(person_id)
