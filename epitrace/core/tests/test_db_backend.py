"""The PostgreSQL health check: no round trip for a live connection, a new
connection after the server ended the old one."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the health check is PostgreSQL's backend")


def _asked(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    asked: list[bool] = []

    def ask(self: PostgresWrapper) -> bool:
        asked.append(True)
        return True

    monkeypatch.setattr(PostgresWrapper, "is_usable", ask)
    return asked


def _server_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_a_live_idle_connection_is_usable_without_asking_the_server(monkeypatch):
    _server_pid()  # connected
    asked = _asked(monkeypatch)
    assert connection.is_usable()
    assert asked == []


def test_a_connection_the_server_ended_is_replaced(settings_health_checks):
    old = _server_pid()
    db = settings.DATABASES["default"]
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    admin = f"host={host} port={port} user={db['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [old])
        # The server signals its process and answers at once: wait until it has gone.
        deadline = time.monotonic() + 10
        while other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [old]).fetchone():
            assert time.monotonic() < deadline, "the server process did not end"
            time.sleep(0.01)
    assert not connection.is_usable()
    # As a request starts: the connection is checked and replaced, not used broken.
    close_old_connections()
    assert _server_pid() != old


@pytest.fixture
def settings_health_checks() -> None:
    # Requests check their connection once; outside one, as a request would.
    connection.health_check_done = False  # type: ignore[attr-defined]
    assert connection.health_check_enabled  # type: ignore[attr-defined]
