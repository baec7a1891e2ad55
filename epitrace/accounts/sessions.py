"""Staff sessions: a 30-minute idle timeout without a database write per request.

The session's end (``expire_date``, and the cookie's age when it has one) is
pushed ``SESSION_COOKIE_AGE`` ahead as the user works. Django does that by
saving the whole session on every request (``SESSION_SAVE_EVERY_REQUEST``):
an UPDATE in its own transaction, three round trips, for every click of
every tracer. Here a request that changed nothing in the session writes only
when the stored end lags the one a save would write by ``REFRESH_AFTER`` or
more, and then it writes only the new end, never the data: a session that
another request of the same user changed in the meantime keeps that change.

The timeout therefore ends a quiet session between ``SESSION_COOKIE_AGE -
REFRESH_AFTER`` and ``SESSION_COOKIE_AGE`` after its last request, and the
database still refuses an expired session on every request (the load asks
for ``expire_date`` in the future).

Sessions live in ``StaffSession``, whose row names the signed-in user: the
load reads the session, that user and their memberships in one statement,
and hands the user to the authentication backend
(:func:`signed_in_user`) instead of it asking the database again.
"""

from __future__ import annotations

import datetime as dt
import functools
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import connections, models, router
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from epitrace.accounts.memberships import user_statement

REFRESH_AFTER = dt.timedelta(seconds=60)

# The user the request's session load read (their id, and the user or None):
# for this request's authentication only, so the middleware clears it first.
_read_with_session: ContextVar[tuple[int, Any] | None] = ContextVar(
    "epitrace_read_with_session", default=None
)


def signed_in_user(user_id: int) -> tuple[bool, Any]:
    """(True, the user) if this request's session load read user ``user_id``, once.

    The user comes as the authentication backend would read them (None if the
    account is gone); (False, None) when the load did not read them.
    """
    read = _read_with_session.get()
    if read is None or read[0] != user_id:
        return False, None
    _read_with_session.set(None)
    return True, read[1]


class SessionStore(DatabaseSessionStore):
    """Database sessions that remember the end they were stored with."""

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self.stored_expiry: dt.datetime | None = None
        self._expiry_only = False

    @classmethod
    def get_model_class(cls) -> Any:
        from epitrace.accounts.models import StaffSession  # models import this module

        return StaffSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        session: Any = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        session.user_id = int(user_id) if user_id is not None else None
        return session

    def _get_session_from_db(self) -> Any:
        """Django's load (the session if it has not ended), remembering its stored end,
        with the signed-in user and their memberships read in the same statement.

        One precompiled statement: the ORM's ``get`` cost four times what
        running it does, on every request, and the user's own read was a
        second wait for the database.
        """
        key, using = self.session_key, router.db_for_read(self.model)
        load = _load_statement(self.model, using)
        rows: list[Any] = []
        if key is not None:
            with connections[using].cursor() as cursor:
                cursor.execute(load.sql, [key, load.now(using)])
                rows = cursor.fetchall()
        if key is None or not rows:
            self._session_key = None
            self.stored_expiry = None
            return None
        data, stored_end, user_id = rows[0][:3]
        if user_id is not None:
            _read_with_session.set((user_id, load.user_of(rows)))
        self.stored_expiry = load.expiry(stored_end, using)
        model: Any = self.model  # StaffSession (get_model_class)
        return model(
            session_key=key, session_data=data, expire_date=self.stored_expiry, user_id=user_id
        )

    def refresh_due(self) -> bool:
        """Whether the stored end lags the end a save would write now by a minute or more."""
        if self.stored_expiry is None:
            return False
        return self.get_expiry_date() - self.stored_expiry >= REFRESH_AFTER

    def save_expiry_only(self) -> None:
        """Have the next :meth:`save` write the new end alone (the data did not change)."""
        self._expiry_only = True

    def save(self, must_create: bool = False) -> None:
        if not self._expiry_only or must_create or self.session_key is None:
            super().save(must_create=must_create)
            return
        self._expiry_only = False
        expiry = self.get_expiry_date()
        rows = self.model.objects.filter(session_key=self.session_key).update(expire_date=expiry)
        if not rows:  # ended meanwhile (signed out in another tab): not brought back
            raise UpdateError
        self.stored_expiry = expiry


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's middleware, saving an unchanged session only when its end is due a refresh.

    Runs with ``SESSION_SAVE_EVERY_REQUEST = False``: Django then saves (and
    sends the cookie again) when the session changed; this adds the refresh.
    """

    def process_request(self, request: HttpRequest) -> None:
        _read_with_session.set(None)  # nothing read for an earlier request is used
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            isinstance(session, SessionStore)
            and session.accessed
            and not session.modified
            and response.status_code < 500
            and session.refresh_due()
        ):
            session.save_expiry_only()
            session.modified = True  # Django's middleware then saves and re-sends the cookie
        return super().process_response(request, response)


class _Load:
    """The session load from one database: the statement, written once per process.

    The session's data and stored end, its user's id, then the columns of
    ``user_statement`` (the user and their memberships), one row per
    membership. Nothing here holds a connection: each thread has its own,
    taken per call.
    """

    def __init__(self, model: type[models.Model], using: str) -> None:
        ops = connections[using].ops
        self.field = _field(model, "expire_date")
        key, data = _field(model, "session_key").column, _field(model, "session_data").column
        user = str(_field(model, "user").column)
        table, end = ops.quote_name(model._meta.db_table), ops.quote_name(str(self.field.column))
        users = user_statement()
        self.user_of = functools.partial(users.user_of, start=3)
        self.sql = (
            f"SELECT s.{ops.quote_name(str(data))}, s.{end}, s.{ops.quote_name(user)},"  # noqa: S608
            f" {users.user_columns} FROM {table} s"
            f" LEFT OUTER JOIN {ops.quote_name(users.user.model._meta.db_table)} u"
            f" ON u.{ops.quote_name('id')} = s.{ops.quote_name(user)}{users.user_joins}"
            f" WHERE s.{ops.quote_name(str(key))} = %s AND s.{end} > %s{users.order}"
        )
        self.col = self.field.get_col(model._meta.db_table)

    def now(self, using: str) -> Any:
        return connections[using].ops.adapt_datetimefield_value(timezone.now())

    def expiry(self, value: Any, using: str) -> dt.datetime:
        """The stored end as the ORM would give it (SQLite hands back text)."""
        connection = connections[using]  # this thread's: converters are bound to it
        for convert in [
            *connection.ops.get_db_converters(self.col),
            *self.field.get_db_converters(connection),  # type: ignore[attr-defined]
        ]:
            value = convert(value, self.col, connection)
        expiry: dt.datetime = value
        return expiry


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


@functools.lru_cache(maxsize=4)
def _load_statement(model: type[models.Model], using: str) -> _Load:
    return _Load(model, using)
