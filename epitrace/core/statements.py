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

import datetime as dt
import inspect
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.query import (  # type: ignore[attr-defined]
    ModelIterable,
    RelatedPopulator,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

if TYPE_CHECKING:
    from epitrace.accounts.models import User

M = TypeVar("M", bound=models.Model)

# Marker values no primary key or clock takes: each argument's is found among the parameters.
_MARKERS = tuple(-(2**62) - n for n in range(40))
_TIME_MARKERS = tuple(
    dt.datetime(1901, 2, 3, 4, 5, 6, n, tzinfo=dt.UTC) for n in range(len(_MARKERS))
)
_CACHE_ATTR = "_epitrace_statements"
# Rows read ahead (``reading_ahead``), on the connection: (number, values) -> instances.
_AHEAD_ATTR = "_epitrace_read_ahead"
# A number per statement for the connection's cache (an id() may be reused).
_numbers = itertools.count()


class StatementError(Exception):
    """A statement whose queryset does not use its arguments as plain values."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # (argument index, None) for an argument, (None, value) for a constant.
    params: tuple[tuple[int | None, Any], ...]
    times: frozenset[int]
    compiler: SQLCompiler
    init_list: tuple[str, ...]
    model_slice: slice
    populators: tuple[RelatedPopulator, ...]
    annotations: tuple[tuple[str, int], ...]
    trim: int | None
    # The columns' converters, as ``results_iter`` finds them on every call
    # (a walk over every selected field, a tenth of a page's reads); None when
    # a column is composite and the compiler's own path must run.
    converters: dict[int, Any] | None


class Statement(Generic[M]):
    """A read of model rows whose SQL depends only on its arguments.

    Arguments are integers, except those at the positions ``times`` (aware
    datetimes). Each must reach the query as a value of its own, except
    those at the positions ``optional``.
    """

    def __init__(
        self,
        build: Callable[..., models.QuerySet[M]],
        using: str = DEFAULT_DB_ALIAS,
        *,
        times: frozenset[int] = frozenset(),
        optional: frozenset[int] = frozenset(),
        arity: int | None = None,
    ) -> None:
        self.build = build
        self.using = using
        self.arity = len(inspect.signature(build).parameters) if arity is None else arity
        self.times, self.optional = times, optional
        self.number = next(_numbers)

    def fetch(self, *values: Any) -> list[M]:
        if len(values) != self.arity:
            raise TypeError(f"{self.arity} values expected, got {len(values)}")
        connection = connections[self.using]
        ahead: dict[tuple[Any, ...], list[Any]] | None = connection.__dict__.get(_AHEAD_ATTR)
        if ahead:
            found = ahead.pop(self._key(values), None)
            if found is not None:
                return found
        compiled = self._compiled(connection)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, self._params(compiled, values, connection))
            rows: Sequence[Any] = cursor.fetchall()
        return self._rows(compiled, rows)

    def ahead(self, *values: Any) -> Ahead:
        """This read, to be sent with others by ``reading_ahead``."""
        if len(values) != self.arity:
            raise TypeError(f"{self.arity} values expected, got {len(values)}")
        return Ahead(self, values)

    def _key(self, values: Sequence[Any]) -> tuple[Any, ...]:
        # The clock is left out: a read ahead answers for the rest of the request.
        return (self.number, *(v for i, v in enumerate(values) if i not in self.times))

    def _params(
        self, compiled: _Compiled, values: Sequence[Any], connection: BaseDatabaseWrapper
    ) -> list[Any]:
        if compiled.times:
            adapt = connection.ops.adapt_datetimefield_value
            values = tuple(adapt(v) if i in compiled.times else v for i, v in enumerate(values))
        return [values[i] if i is not None else constant for i, constant in compiled.params]

    def _rows(self, compiled: _Compiled, rows: Sequence[Any]) -> list[M]:
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
        markers = marker_values(self.arity, self.times)
        queryset = self.build(*markers)
        plain = queryset._iterable_class is ModelIterable
        if getattr(queryset, "_prefetch_related_lookups", ()) or not plain:
            raise StatementError("a statement reads model instances, without prefetching")
        compiler = queryset.query.get_compiler(connection=connection)
        try:
            sql, raw_params = compiler.as_sql()
        except EmptyResultSet:
            raise StatementError("the query reads nothing whatever its values") from None
        params = bind(markers, self.times, raw_params, connection)
        used = {index for index, _ in params if index is not None}
        if used | self.optional != set(range(self.arity)) | self.optional:
            raise StatementError("every argument must reach the query as a value of its own")
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=sql,
            params=tuple(params),
            times=frozenset(self.times),
            compiler=compiler,
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            model_slice=slice(start, end),
            populators=tuple(get_related_populators(klass_info, select, self.using)),
            annotations=tuple(compiler.annotation_col_map.items()),
            trim=compiler.col_count if compiler.has_extra_select else None,
            converters=_converters(compiler),
        )


def _converters(compiler: SQLCompiler) -> dict[int, Any] | None:
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(fields):
        return None
    return compiler.get_converters(fields)


def marker_values(count: int, times: frozenset[int] = frozenset()) -> list[Any]:
    """Values to build a query with, each found again among its parameters by ``bind``:
    integers, or aware datetimes at the positions ``times``."""
    if count > len(_MARKERS):
        raise StatementError(f"at most {len(_MARKERS)} arguments")
    return [_TIME_MARKERS[i] if i in times else _MARKERS[i] for i in range(count)]


def bind(
    markers: Sequence[Any],
    times: frozenset[int],
    raw_params: Sequence[Any],
    connection: BaseDatabaseWrapper,
) -> list[tuple[int | None, Any]]:
    """Each compiled parameter as (argument index, None) or (None, constant value)."""
    adapt = connection.ops.adapt_datetimefield_value
    # Keyed by type too: True == 1, and a bool is an int.
    slots = {
        (type(adapted := adapt(m) if i in times else m), adapted): i for i, m in enumerate(markers)
    }
    params: list[tuple[int | None, Any]] = []
    for value in raw_params:
        try:
            index = slots.get((type(value), value))
        except TypeError:  # an unhashable value (a list for ``__any``) is a constant
            index = None
        params.append((index, None) if index is not None else (None, value))
    return params


def _instances(compiled: _Compiled, rows: Sequence[Any], db: str) -> list[Any]:
    """Model instances from rows, as the ORM's ModelIterable makes them."""
    compiler = compiled.compiler
    model = compiler.klass_info["model"]
    found = []
    if compiled.converters is None:
        converted: Iterable[Any] = compiler.results_iter([list(rows)])
    elif compiled.converters:
        converted = compiler.apply_converters(rows, compiled.converters)
    else:
        converted = rows
    for row in converted:
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

    def ahead(self, user: User | Any, person_id: int, action: str = "view") -> Ahead | None:
        """``of_person``'s read, to be sent with others by ``reading_ahead``."""
        from epitrace.core.querysets import person_in_reach

        if not person_in_reach(self.model, user, person_id, action):
            return None
        return self.statement.ahead(person_id)


class Asker:
    """Who ``restrict()`` sees while a ``Restricted`` compiles: the user's
    jurisdictions for the capability, and markers for their id and the clock."""

    is_authenticated = True
    is_system = False
    client = None

    def __init__(self, pk: int, now: dt.datetime, capability: str, ids: frozenset[int] | None):
        from epitrace.accounts.scope import _CACHE_ATTR as SCOPE_CACHE

        self.pk = pk
        self.is_system = ids is None
        self._epitrace_now = now
        if ids is not None:
            self.__dict__[SCOPE_CACHE] = {capability: ids}


class Restricted(Generic[M]):
    """``shape(model.objects.restrict(user, action), *values)``, compiled once per
    number of jurisdictions.

    The restricted query depends on the user's jurisdictions for the model's
    capability (and on nothing else of theirs but their id and the time, for
    break-glass access), which reach its SQL as values: one statement per
    number of jurisdictions, run with the user's, its rows those
    ``restrict()`` gives for the same values. For models whose rule passes the
    jurisdictions given to the query as they are (not ``RawMessage``, whose
    rule asks the database for the tree's root and compares).
    """

    def __init__(
        self,
        model: type[M],
        shape: Callable[..., models.QuerySet[M]],
        action: str = "view",
        *,
        arity: int | None = None,
    ) -> None:
        """``arity``: how many values ``shape`` takes after the queryset, when its
        signature does not say (``*values``)."""
        self.model, self.shape, self.action = model, shape, action
        meta = model._meta
        self.capability = f"{meta.app_label}.{action}_{meta.model_name}"
        if arity is None:
            arity = len(inspect.signature(shape).parameters) - 1
        self.arity = arity
        # A share or a break-glass reaches a person's rows (core/querysets.py).
        self.granted = bool(getattr(model, "person_paths", ()))
        self._statements: dict[frozenset[int] | int | None, Statement[M]] = {}

    def fetch(self, user: User | Any, *values: int) -> list[M]:
        read = self._read(user, values)
        return [] if read is None else read[0].fetch(*read[1])

    def _read(
        self, user: User | Any, values: tuple[int, ...]
    ) -> tuple[Statement[M], tuple[Any, ...]] | None:
        """The statement and its values for ``user``; None when ``restrict()`` gives nothing."""
        from epitrace.accounts.scope import visible_jurisdiction_ids

        if len(values) != self.arity:
            raise TypeError(f"{self.arity} values expected, got {len(values)}")
        if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
            return None  # restrict() gives them nothing
        ids = visible_jurisdiction_ids(user, self.capability)
        if ids is not None and not ids and not (self.granted and self.action == "view"):
            return None  # no jurisdiction, and no grant that could apply
        # The jurisdictions reach the SQL as values (``IN (%s, ...)``): every set
        # of one size shares a statement, so a process compiles it once, not
        # once per local health department its users belong to.
        key: frozenset[int] | int | None = ids
        jurisdictions: list[int] = []
        if ids is not None and self.arity + 2 + len(ids) <= len(_MARKERS):
            key, jurisdictions = len(ids), sorted(ids)
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = self._statement(key)
        return statement, (user.pk, timezone.now(), *values, *jurisdictions)

    def ahead(self, user: User | Any, *values: int) -> Ahead | None:
        """This read, to be sent with others by ``reading_ahead`` (None: it reads nothing)."""
        read = self._read(user, values)
        return None if read is None else read[0].ahead(*read[1])

    def _statement(self, key: frozenset[int] | int | None) -> Statement[M]:
        """A statement for one set of jurisdictions (None: the system's), or,
        for ``key`` an integer, for every set of that size, given as values
        after the others."""
        given = key if isinstance(key, int) else 0

        def build(user_id: int, now: dt.datetime, *values: int) -> models.QuerySet[M]:
            ids = frozenset(values[self.arity :]) if isinstance(key, int) else key
            asker = Asker(user_id, now, self.capability, ids)
            return self.shape(
                self.model.objects.restrict(asker, self.action),  # type: ignore[attr-defined]
                *values[: self.arity],
            )

        # The id and the clock reach the query only where a break-glass can apply.
        return Statement(
            build, times=frozenset({1}), optional=frozenset({0, 1}), arity=self.arity + 2 + given
        )


@dataclass(frozen=True)
class Ahead:
    """A statement's read, with its values, waiting to be sent with others."""

    statement: Statement[Any]
    values: tuple[Any, ...]


@contextmanager
def reading_ahead(*reads: Ahead | None, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Send ``reads`` together now; inside the block, their ``fetch`` calls find the rows.

    A page's panels make a dozen small reads that do not depend on each other,
    each a round trip to the database and, on a busy machine, a wait for the
    database and then for the web process to be scheduled again. On
    PostgreSQL they go as one pipeline (psycopg's pipeline mode): sent
    together, answered together. Elsewhere they run one after the other.

    The code inside the block reads as it always does: a ``fetch`` with the
    same statement and values takes the rows read ahead (once), any other
    runs its query. For reads only: a block that writes what it read ahead
    would read the rows as they were before.
    """
    wanted = [read for read in reads if read is not None]
    connection = connections[using]
    if any(read.statement.using != using for read in wanted):
        raise StatementError("every read ahead must use the block's database")
    if _AHEAD_ATTR in connection.__dict__:
        raise StatementError("reads ahead do not nest")
    found: dict[tuple[Any, ...], list[Any]] = {}
    connection.__dict__[_AHEAD_ATTR] = found
    try:
        for read, rows in zip(wanted, _read_together(connection, wanted), strict=True):
            found[read.statement._key(read.values)] = rows
        yield
    finally:
        del connection.__dict__[_AHEAD_ATTR]


def _read_together(connection: BaseDatabaseWrapper, reads: Sequence[Ahead]) -> list[list[Any]]:
    if connection.vendor != "postgresql" or len(reads) < 2:
        return [read.statement.fetch(*read.values) for read in reads]
    compiled = [read.statement._compiled(connection) for read in reads]
    with connection.cursor():
        pass  # connected, and checked as the first query of a request would be
    cursors = []
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            for read, statement in zip(reads, compiled, strict=True):
                cursor = connection.cursor()
                cursors.append(cursor)
                cursor.execute(
                    statement.sql, read.statement._params(statement, read.values, connection)
                )
        return [
            read.statement._rows(statement, cursor.fetchall())
            for read, statement, cursor in zip(reads, compiled, cursors, strict=True)
        ]
    finally:
        for cursor in cursors:
            cursor.close()
