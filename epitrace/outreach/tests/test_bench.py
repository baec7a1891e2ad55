"""A small ``epitrace bench fanout``: real processes, one SIGKILL, counted at the provider."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from epitrace.core.reference import ensure_reference_data
from epitrace.outreach.choices import State
from epitrace.outreach.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the dispatcher processes need a database they can reach: PostgreSQL")
    ensure_reference_data()


def test_a_small_fanout_with_a_kill_loses_and_duplicates_nothing() -> None:
    out = StringIO()
    call_command(
        "bench", "fanout", "--monitorees", "300", "--kills", "1", "--threads", "1",
        "--batch", "5", "--lease-seconds", "6", "--json", stdout=out, stderr=StringIO(),
    )  # fmt: skip
    figures = json.loads(out.getvalue().splitlines()[-1])
    assert figures["messages"] == 300
    assert figures["kills"] == 1
    assert figures["duplicates"] == 0
    assert figures["lost"] == 0
    assert figures["outbox_build_s"] > 0
    assert figures["dispatch_msgs_per_s"] > 0
    assert OutboxMessage.objects.filter(state=State.SENT).count() == 300
