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
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, models, router
from django.db.models.base import ModelState
from django.db.models.fields import NOT_PROVIDED
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init
from django.utils import timezone
from psycopg.types.json import Jsonb

_sequences: dict[str, str] = {}
M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Plan:
    """What ``insert`` needs to know of a model, worked out once per model."""

    columns: str  # the quoted column list, primary key first
    names: tuple[str, ...]  # the instance attributes, in column order
    stamped: tuple[str, ...]  # auto_now / auto_now_add attributes
    jsons: tuple[int, ...]  # positions of JSON columns in a row
    # (field name, attname, attname of the target) of each foreign key
    relations: tuple[tuple[str, str, str], ...]


_plans: dict[type[models.Model], _Plan] = {}


def _plan(model: type[models.Model]) -> _Plan:
    plan = _plans.get(model)
    if plan is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        names = (meta.pk.attname, *(f.attname for f in fields))
        plan = _plans[model] = _Plan(
            columns=", ".join(
                connection.ops.quote_name(c) for c in [meta.pk.column] + [f.column for f in fields]
            ),
            names=names,
            stamped=tuple(
                f.attname
                for f in fields
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            ),
            jsons=tuple(names.index(f.attname) for f in fields if isinstance(f, models.JSONField)),
            relations=tuple(
                (f.name, f.attname, f.target_field.attname)  # type: ignore[attr-defined]
                for f in meta.concrete_fields
                if f.is_relation
            ),
        )
    return plan


def insert(objs: Sequence[models.Model], *, skip_conflicts: bool = False) -> None:
    """Insert ``objs`` (all of one model), setting their ids.

    ``skip_conflicts``: a row that would break a unique constraint is left
    out, as ``bulk_create(ignore_conflicts=True)`` does (the instance keeps
    the id it was given, which no row has); for rows keyed against
    concurrent writers, such as the outbox's idempotency keys.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, ignore_conflicts=skip_conflicts)
        return
    meta = model._meta
    plan = _plan(model)
    now = timezone.now()
    # Rows whose key is another row's (a one-to-one primary key) bring their own.
    ids = (
        [obj.pk for obj in objs]
        if all(obj.pk is not None for obj in objs)
        else _allocate(meta.db_table, meta.pk.column, len(objs))
    )
    for obj, pk in zip(objs, ids, strict=True):
        _take_related_ids(obj, plan.relations)
        obj.pk = pk
        for name in plan.stamped:
            setattr(obj, name, now)
    table = connection.ops.quote_name(meta.db_table)
    raw = connection.connection
    assert raw is not None
    names, jsons = plan.names, plan.jsons
    # COPY knows no ON CONFLICT: rows that may clash go through a scratch
    # table of the same shape (the session's own, emptied after each use).
    target = connection.ops.quote_name(f"bulk_{meta.db_table}") if skip_conflicts else table
    with raw.cursor() as cursor:
        if skip_conflicts:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {target} (LIKE {table} INCLUDING DEFAULTS)"
            )
        with cursor.copy(f"COPY {target} ({plan.columns}) FROM STDIN") as copy:
            for obj in objs:
                values = obj.__dict__
                row: list[Any] = [values[name] for name in names]
                for index in jsons:
                    if row[index] is not None:
                        row[index] = Jsonb(row[index])
                copy.write_row(row)
        if skip_conflicts:
            cursor.execute(
                f"INSERT INTO {table} ({plan.columns}) SELECT {plan.columns} FROM {target} "  # noqa: S608
                "ON CONFLICT DO NOTHING"
            )
            cursor.execute(f"DELETE FROM {target}")  # noqa: S608
    alias = connection.alias  # a lookup through the thread's connections: once, not per row
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def _take_related_ids(obj: models.Model, relations: tuple[tuple[str, str, str], ...]) -> None:
    """Django's ``_prepare_related_fields_for_save`` for the foreign keys, at
    the cost of one lookup when nothing is cached: a related object saved
    since it was assigned gives its id; an unsaved one is refused."""
    cache = obj._state.fields_cache
    if not cache:
        return
    values = obj.__dict__
    for name, attname, target in relations:
        other = cache.get(name)
        if other is None:
            continue
        key = getattr(other, target)
        if key is None:
            raise ValueError(
                f"bulk_create() prohibited to prevent data loss due to unsaved "
                f"related object '{name}'."
            )
        if values[attname] in (None, ""):
            values[attname] = key
        elif values[attname] != key:
            del cache[name]  # the id was changed by hand: it wins, as in Django


@dataclass(frozen=True)
class _Layout:
    """How ``new_instance`` fills a model's instances, worked out once per model."""

    # Every concrete field's attname, in the order Model(*args) takes them,
    # with its default when that is a fixed value (None, "", a non-callable
    # default); None where a callable makes it.
    fixed: dict[str, Any]
    made: tuple[tuple[str, str, Any], ...]  # (attname, name, callable): defaults made each time
    by_name: dict[str, str]  # a foreign key's name -> its attname
    # A many-to-one key's name -> (its attname, the target's attname, the
    # target's concrete model): what its descriptor's assignment works with.
    links: dict[str, tuple[str, str, type[models.Model]]]
    # Whether an instance may be filled through its __dict__: the model's
    # attributes are plain deferred ones (no file or custom descriptor) and
    # no ``post_init`` receiver listens.
    plain: bool


_layouts: dict[type[models.Model], _Layout] = {}
_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _layout(model: type[models.Model]) -> _Layout:
    layout = _layouts.get(model)
    if layout is None:
        fields = model._meta.concrete_fields
        fixed: dict[str, Any] = {}
        made = []
        for field in fields:
            # Field.get_default() calls a callable default (or a database
            # default's expression maker) each time, and otherwise returns
            # the same value each time: that value is worked out here once.
            if (
                field.has_default() and callable(field.default)
            ) or field.db_default is not NOT_PROVIDED:
                fixed[field.attname] = None
                made.append((field.attname, field.name, field.get_default))
            else:
                fixed[field.attname] = field.get_default()
        layout = _layouts[model] = _Layout(
            fixed=fixed,
            made=tuple(made),
            by_name={f.name: f.attname for f in fields if f.name != f.attname},
            links={f.name: _link_of(f) for f in fields if _links_simply(f)},
            plain=not post_init.has_listeners(model)
            and all(isinstance(model.__dict__.get(a), _PLAIN_DESCRIPTORS) for a in fixed),
        )
    return layout


def _links_simply(field: Any) -> bool:
    """A many-to-one key on one column (not one-to-one: its descriptor also caches the way back)."""
    return bool(field.many_to_one) and len(field.related_fields) == 1


def _link_of(field: Any) -> tuple[str, str, type[models.Model]]:
    return field.attname, field.target_field.attname, field.remote_field.model._meta.concrete_model


def new_instance(model: type[M], values: dict[str, Any]) -> M:
    """``model(**values)``, several times faster, for building many rows.

    Django's keyword path looks every field up by exception when it is not
    given; here the instance's attributes start as a copy of the model's
    fixed defaults, the given values go over them, and only callable
    defaults are called; straight into the instance's ``__dict__`` when that
    is all ``Model.__init__`` would do (``_Layout.plain``). Values are given
    by attname (``person_id``) or, for a foreign key, by name with the
    related instance (``person``), which is then assigned through its
    descriptor exactly as the keyword path does.
    """
    layout = _layout(model)
    attrs = layout.fixed.copy()
    related: list[tuple[str, Any]] = []
    for key, value in values.items():
        if key in attrs:
            attrs[key] = value
        elif key in layout.by_name:
            related.append((key, value))
        else:
            unknown = sorted(k for k in values if k not in attrs and k not in layout.by_name)
            raise TypeError(f"{model.__name__}() got unexpected fields {unknown}")
    for attname, name, make in layout.made:
        if attname not in values and name not in values:
            attrs[attname] = make()
    if layout.plain:
        obj = model.__new__(model)
        obj._state = ModelState()
        if related:
            related = [(n, v) for n, v in related if not _link(obj, attrs, layout, n, v)]
        obj.__dict__.update(attrs)
    else:
        obj = model(*attrs.values())
    for name, value in related:
        setattr(obj, name, value)
    return obj


def _link(obj: models.Model, attrs: dict[str, Any], layout: _Layout, name: str, value: Any) -> bool:
    """What assigning ``value`` to the many-to-one key ``name`` does, into ``attrs``.

    The descriptor's checks and the router's two lookups cost more than the
    rest of a row's making; without database routers they come down to the
    comparisons below. False (nothing done) when the descriptor must decide:
    a one-to-one key, routers, a value of another model or another database.
    """
    link = layout.links.get(name)
    if link is None or router.routers:
        return False
    attname, target, model = link
    state = obj._state
    if value is None:
        attrs[attname] = None
    elif isinstance(value, model):
        other = value._state
        # router.db_for_write without routers: the other instance's database, or the default.
        if state.db is None:
            state.db = other.db or DEFAULT_DB_ALIAS
        if other.db is None:
            other.db = state.db
        if other.db != state.db:
            return False  # router.allow_relation refuses it: the descriptor says so
        attrs[attname] = getattr(value, target)
    else:
        return False
    state.fields_cache[name] = value
    return True


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
