"""A user's memberships, read once per request and shared by everything that asks.

The scope checks, the menus, the queues a tracer works and the fields their
roles show all start from the signed-in user's memberships, on every page.
:func:`user_memberships` reads them once per user object (a request) with
their jurisdiction and team, and keeps them on it.

The statement is written out once per process from the models' metadata
rather than built by the ORM on each request: building that join cost five
times what running it does, and it runs on every staff request. The rows
become model instances the way ``select_related`` makes them, with the same
database converters applied; membership fields nobody reads here (the
timestamps) stay deferred. Each membership also carries the ids of the
jurisdictions at or below its own (``subtree``), read in the same statement:
the scope checks need them on every request, and a second query cost a
second wait for the database.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models

from epitrace.accounts.models import Membership, Team, User
from epitrace.jurisdictions.models import Jurisdiction

_ATTR = "_epitrace_memberships"
_MEMBERSHIP_FIELDS = frozenset({"id", "user_id", "jurisdiction_id", "role", "team_id"})
_TEAM_FIELDS = frozenset({"id", "jurisdiction_id", "name", "languages"})


def user_memberships(user: Any) -> list[Membership]:
    """Every membership of ``user``, with its jurisdiction and team, by jurisdiction path and role.

    ``account_active`` on each is the account's ``is_active`` as the database
    holds it: see :func:`active_memberships`.
    """
    cached: list[Membership] | None = user.__dict__.get(_ATTR)
    if cached is None:
        # The request's user is a lazy object: the user it wraps may have
        # come with its memberships (user_with_memberships).
        cached = vars(_wrapped(user)).get(_ATTR)
        if cached is None:
            cached = _statement(connection.vendor).read(user.pk)
        user.__dict__[_ATTR] = cached
    return cached


def _wrapped(user: Any) -> Any:
    """The user a request's lazy ``user`` stands for, once read; else ``user``."""
    inner = user.__dict__.get("_wrapped", user)
    return inner if hasattr(inner, "__dict__") else user  # not read yet: a bare sentinel


def user_with_memberships(user_id: int) -> User | None:
    """The user ``user_id`` with their memberships, as ``user_memberships`` gives them,
    in one statement (the request's user: every request asks for both)."""
    return _statement(connection.vendor).read_user(user_id)


def active_memberships(user: Any) -> list[Membership]:
    """The memberships that grant anything: a deactivated account's grant nothing,
    even through a user object loaded before the deactivation."""
    return [m for m in user_memberships(user) if m.account_active]  # type: ignore[attr-defined]


def forget_memberships(user: Any) -> None:
    user.__dict__.pop(_ATTR, None)
    vars(_wrapped(user)).pop(_ATTR, None)


@dataclass(frozen=True)
class _Part:
    """The columns of one model in the statement, in its concrete field order."""

    model: type[models.Model]
    fields: tuple[Any, ...]

    @classmethod
    def of(cls, model: type[models.Model], wanted: frozenset[str] | None = None) -> _Part:
        fields = model._meta.concrete_fields
        return cls(model, tuple(f for f in fields if wanted is None or f.attname in wanted))

    def columns(self, alias: str) -> list[str]:
        return [f"{alias}.{_quote(f.column)}" for f in self.fields]

    def converting(self) -> list[tuple[int, Any, Any]]:
        """(index, field, column) of the columns this database needs converted (few, if any)."""
        found = []
        for index, field in enumerate(self.fields):
            col = field.get_col(self.model._meta.db_table)
            if connection.ops.get_db_converters(col) or field.get_db_converters(connection):
                found.append((index, field, col))
        return found

    def build(self, values: Sequence[Any]) -> Any:
        return self.model.from_db(connection.alias, [f.attname for f in self.fields], values)


def _quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _column(model: type[models.Model], name: str) -> str:
    return _quote(str(model._meta.get_field(name).column))  # type: ignore[union-attr]


class _Statement:
    def __init__(self) -> None:
        self.membership = _Part.of(Membership, _MEMBERSHIP_FIELDS)
        self.jurisdiction = _Part.of(Jurisdiction)
        self.team = _Part.of(Team, _TEAM_FIELDS)
        parts = (self.membership, self.jurisdiction, self.team)
        columns = [
            *self.membership.columns("m"),
            f"u.{_column(User, 'is_active')}",
            *self.jurisdiction.columns("j"),
            *self.team.columns("t"),
        ]
        m_user, m_place = _column(Membership, "user"), _column(Membership, "jurisdiction")
        m_team, pk = _column(Membership, "team"), _quote("id")
        users, memberships = _quote(User._meta.db_table), _quote(Membership._meta.db_table)
        places, teams = _quote(Jurisdiction._meta.db_table), _quote(Team._meta.db_table)
        # The jurisdictions whose path starts with the membership's (the ORM's
        # path__startswith, without LIKE's wildcards to escape).
        path = _column(Jurisdiction, "path")
        below = f"FROM {places} s WHERE substr(s.{path}, 1, length(j.{path})) = j.{path}"
        if connection.vendor == "postgresql":
            columns.append(f"ARRAY(SELECT s.{pk} {below})")
        else:
            columns.append(f"(SELECT group_concat(s.{pk}) {below})")
        order = f" ORDER BY j.{path}, m.{_column(Membership, 'role')}"
        self.sql = (
            f"SELECT {', '.join(columns)}"  # noqa: S608 - names from the models only
            f" FROM {memberships} m"
            f" INNER JOIN {users} u ON u.{pk} = m.{m_user}"
            f" INNER JOIN {places} j ON j.{pk} = m.{m_place}"
            f" LEFT OUTER JOIN {teams} t ON t.{pk} = m.{m_team}"
            f" WHERE m.{m_user} = %s{order}"
        )
        # The signed-in user's row with their memberships, one row per
        # membership (one, its membership columns empty, for a user without).
        self.user = _Part.of(User)
        self.user_columns = ", ".join([*self.user.columns("u"), *columns])
        self.user_joins = (
            f" LEFT OUTER JOIN ({memberships} m"
            f" INNER JOIN {places} j ON j.{pk} = m.{m_place}"
            f" LEFT OUTER JOIN {teams} t ON t.{pk} = m.{m_team})"
            f" ON m.{m_user} = u.{pk}"
        )
        self.order = order
        self.user_sql = (
            f"SELECT {self.user_columns} FROM {users} u{self.user_joins}"  # noqa: S608 - names
            f" WHERE u.{pk} = %s{order}"
        )
        self.converting = {part.model: part.converting() for part in (*parts, self.user)}
        self.to_jurisdiction = Membership._meta.get_field("jurisdiction")
        self.to_team = Membership._meta.get_field("team")

    def read(self, user_id: int) -> list[Membership]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [user_id])
            return [self._membership(row) for row in cursor.fetchall()]

    def read_user(self, user_id: int) -> User | None:
        with connection.cursor() as cursor:
            cursor.execute(self.user_sql, [user_id])
            return self.user_of(cursor.fetchall())

    def user_of(self, rows: Sequence[Sequence[Any]], start: int = 0) -> User | None:
        """The user in ``rows`` of :attr:`user_columns` (from column ``start`` on), or None."""
        if not rows or rows[0][start] is None:
            return None
        end = start + len(self.user.fields)
        user = self._build(self.user, rows[0][start:end])
        # The membership's id is its first column: empty for a user without any.
        user.__dict__[_ATTR] = [self._membership(r[end:]) for r in rows if r[end] is not None]
        return user

    def _membership(self, row: Sequence[Any]) -> Membership:
        m_end = len(self.membership.fields)
        j_end = m_end + 1 + len(self.jurisdiction.fields)
        membership = self._build(self.membership, row[:m_end])
        membership.account_active = bool(row[m_end])
        jurisdiction = self._build(self.jurisdiction, row[m_end + 1 : j_end])
        t_end = j_end + len(self.team.fields)
        team = self._build(self.team, row[j_end:t_end]) if membership.team_id is not None else None
        membership.subtree = _ids(row[t_end])
        self.to_jurisdiction.set_cached_value(membership, jurisdiction)  # as select_related does
        self.to_team.set_cached_value(membership, team)
        return membership

    def _build(self, part: _Part, values: Sequence[Any]) -> Any:
        converting = self.converting[part.model]
        if converting:  # with this thread's connection: converters are bound to it
            values = list(values)
            for index, field, col in converting:
                for convert in [
                    *connection.ops.get_db_converters(col),
                    *field.get_db_converters(connection),
                ]:
                    values[index] = convert(values[index], col, connection)
        return part.build(values)


def _ids(value: Any) -> frozenset[int]:
    """An array (PostgreSQL) or a comma-separated list (SQLite) of ids."""
    if isinstance(value, str):
        return frozenset(int(i) for i in value.split(","))
    return frozenset(value or ())


def user_statement() -> _Statement:
    """The statement's parts, for a statement that reads the user with something else
    (the session: ``epitrace.accounts.sessions``)."""
    return _statement(connection.vendor)


@functools.lru_cache(maxsize=4)
def _statement(vendor: str) -> _Statement:
    """Written once per kind of database; holds no connection (each thread has its own)."""
    return _Statement()
