"""What every staff page costs before its own work: a session read, the user,
their memberships once, and no write.

Every tracer's every click pays this, so it is held here: the session's end
is written at most once a minute (epitrace.accounts.sessions), the
memberships are read once and shared (epitrace.accounts.memberships), and
the menu's "Replies to handle" is asked at most once a minute per user.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from epitrace.accounts.models import Membership
from epitrace.outreach.models import InboundMessage
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def _reading(queries: CaptureQueriesContext, table: str) -> list[str]:
    sqls = [q["sql"].replace('"', "") for q in queries.captured_queries]
    return [sql for sql in sqls if f"FROM {table}" in sql]


def test_a_repeated_staff_page_writes_nothing_and_reads_memberships_once(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.a.tracer)
    with CaptureQueriesContext(connection) as first:
        assert client.get(reverse("home")).status_code == 200
    assert _reading(first, InboundMessage._meta.db_table)  # the menu asks once ...

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))

    assert response.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith(WRITES)]
    # The scope checks, the top bar, the menus and the queue worker share one
    # read, made with the user's own.
    table = Membership._meta.db_table
    assert len([q for q in queries.captured_queries if table in q["sql"].replace('"', "")]) == 1
    assert not _reading(queries, InboundMessage._meta.db_table)  # ... and keeps the answer
