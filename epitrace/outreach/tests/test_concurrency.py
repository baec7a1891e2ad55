"""Several dispatchers at once on PostgreSQL: every key reaches the provider exactly once.

Each dispatcher runs in its own thread with its own database connection, as
separate processes would; the verdict is counted at the fake provider, which
does not de-duplicate, not taken from the code under test.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from epitrace.core.reference import ensure_reference_data
from epitrace.outreach.choices import State
from epitrace.outreach.dispatcher.worker import Dispatcher
from epitrace.outreach.models import OutboxMessage
from epitrace.outreach.services import enqueue
from epitrace.outreach.tests.fakes.twilio_api import FakeTwilio
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db(transaction=True)
ROWS = 300
WORKERS = 4


@pytest.fixture(autouse=True)
def _postgres(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time: nothing to race")
    ensure_reference_data()


def test_racing_dispatchers_send_each_key_once(twilio: FakeTwilio) -> None:
    jurisdiction = f.JurisdictionFactory.create(code="lhd-race")
    people = f.PersonFactory.create_batch(ROWS, jurisdiction=jurisdiction)
    keys = [
        enqueue("sms", "closing", person=person, address=f"+1860555{i:04d}").key
        for i, person in enumerate(people)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)
    summaries: list[dict[str, Any]] = []

    def work() -> None:
        try:
            start.wait()
            summaries.append(Dispatcher(threads=4, batch=20).run(once=True).as_dict())
        except BaseException as error:  # reported in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(twilio.received) == sorted(keys)
    assert set(twilio.received.values()) == {1}
    assert sum(s["sent"] for s in summaries) == ROWS
    assert sum(1 for s in summaries if s["sent"]) > 1  # the work was shared: it did race
    assert OutboxMessage.objects.filter(state=State.SENT).count() == ROWS
