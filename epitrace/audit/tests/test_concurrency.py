"""Many writers at once: each chain stays whole, and writers spread over chains.

PostgreSQL only: SQLite runs one writer at a time by design.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from epitrace.accounts.scope import system_user
from epitrace.audit import services
from epitrace.audit.choices import Action
from epitrace.audit.models import AuditChainHead, AuditEvent
from epitrace.audit.verify import verify
from epitrace.core.reference import ensure_reference_data

WRITERS = 8
ROUNDS = 25


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    # A transactional test starts from whatever the previous one flushed.
    ensure_reference_data()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_every_chain_valid() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: nothing to race")
    actor = system_user()
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        try:
            start.wait()
            for round_ in range(ROUNDS):
                # Hold the head for a whole transaction of two events, as a view would.
                with transaction.atomic():
                    services.record(Action.READ, actor=actor, person_id=number, reason=f"{round_}")
                    services.record_bulk(actor, Action.UPDATE, [number], model="people.person")
        except BaseException as exc:  # report in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert AuditEvent.objects.count() == WRITERS * ROUNDS * 2
    assert AuditEvent.objects.values("chain").distinct().count() > 1
    report = verify()
    assert report.ok, report.problems


@pytest.mark.django_db(transaction=True)
def test_a_head_another_transaction_holds_is_passed_over() -> None:
    """The head a thread moved last may be held by a long transaction (an import):
    the next event goes to another chain at once instead of waiting for it."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: nothing to race")
    actor = system_user()
    first = services.record(Action.READ, actor=actor, reason="first")
    holding, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                AuditChainHead.objects.select_for_update().get(chain=first.chain)
                holding.set()
                done.wait(10)
        except BaseException as exc:  # report in the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(10)
        second = services.record(Action.READ, actor=actor, reason="second")
    finally:
        done.set()
        thread.join()
    assert not errors, errors
    assert second.chain != first.chain
    third = services.record(Action.READ, actor=actor, reason="third")
    assert (third.chain, third.seq, third.prev_hash) == (second.chain, second.seq + 1, second.hash)
    report = verify()
    assert report.ok, report.problems
