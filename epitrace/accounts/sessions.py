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
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import connections, models, router
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

REFRESH_AFTER = dt.timedelta(seconds=60)


class SessionStore(DatabaseSessionStore):
    """Database sessions that remember the end they were stored with."""

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self.stored_expiry: dt.datetime | None = None
        self._expiry_only = False

    def _get_session_from_db(self) -> Any:
        """Django's load (the session if it has not ended), remembering its stored end.

        One precompiled statement: the ORM's ``get`` cost four times what
        running it does, on every request.
        """
        key, using = self.session_key, router.db_for_read(self.model)
        load = _load_statement(self.model, using)
        row = None
        if key is not None:
            with connections[using].cursor() as cursor:
                cursor.execute(load.sql, [key, load.now(using)])
                row = cursor.fetchone()
        if key is None or row is None:
            self._session_key = None
            self.stored_expiry = None
            return None
        self.stored_expiry = load.expiry(row[1], using)
        return self.model(session_key=key, session_data=row[0], expire_date=self.stored_expiry)

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

    Nothing here holds a connection: each thread has its own, taken per call.
    """

    def __init__(self, model: type[models.Model], using: str) -> None:
        ops = connections[using].ops
        self.field = _field(model, "expire_date")
        key, data = _field(model, "session_key").column, _field(model, "session_data").column
        table, end = ops.quote_name(model._meta.db_table), ops.quote_name(str(self.field.column))
        self.sql = (
            f"SELECT {ops.quote_name(str(data))}, {end} FROM {table}"  # noqa: S608 - model names
            f" WHERE {ops.quote_name(str(key))} = %s AND {end} > %s"
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
