"""Claims under real concurrency: many tracers race for the same items.

PostgreSQL only (SQLite runs one writer at a time by design). Each thread has
its own database connection, as each web worker does; the verdict comes from
the claim log (overlapping claims), not from the code under test.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from epitrace.accounts.models import User
from epitrace.core.reference import ensure_reference_data
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.queues import services
from epitrace.queues.choices import ClaimEnd, Outcome, State
from epitrace.queues.errors import QueueError
from epitrace.queues.integrity import overlapping_claims
from epitrace.queues.models import ClaimLog, WorkItem
from epitrace.queues.tests.helpers import case_item, fresh, tracer
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_with_reference_data(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: nothing to race")
    ensure_reference_data()  # a transactional test starts from what the last one flushed


def _run(workers: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def wrap(work: Callable[[], None]) -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def _team(n: int) -> tuple[list[User], Jurisdiction]:
    jur: Jurisdiction = f.JurisdictionFactory.create(code="lhd-race")
    return [tracer(jur, f"racer{i}") for i in range(n)], jur


def test_many_tracers_pressing_next_at_once_get_one_item_once() -> None:
    tracers, jur = _team(16)
    item = case_item(jur)
    won: list[int] = []

    def press(user: User) -> Callable[[], None]:
        def work() -> None:
            got = services.next_item(fresh(user))
            if got is not None:
                won.append(user.pk)

        return work

    _run([press(u) for u in tracers])
    assert len(won) == 1
    assert ClaimLog.objects.filter(item=item).count() == 1
    assert overlapping_claims() == 0


def test_a_queue_worked_by_racing_tracers_has_no_double_claim(settings) -> None:
    # A released item may go straight back to its releaser: the last tracer standing
    # must be able to finish the queue.
    settings.EPITRACE_QUEUE_RELEASE_COOLDOWN_MINUTES = 0
    tracers, jur = _team(10)
    items = [case_item(jur, days_ago=i % 8) for i in range(60)]

    def work_queue(user: User, seed: int) -> Callable[[], None]:
        def work() -> None:
            rng = random.Random(seed)
            me = fresh(user)
            while (got := services.next_item(me)) is not None:
                roll = rng.random()
                if roll < 0.15:
                    abandon(got, late=rng.random() < 0.5, user=me)
                elif roll < 0.3:
                    services.release_item(got, me)
                else:
                    services.complete_item(got, me, Outcome.COMPLETED)

        return work

    def abandon(item: WorkItem, *, late: bool, user: User) -> None:
        # The tracer walks away: the claim times out, the next Next returns it.
        WorkItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now())
        if late:  # ...and comes back to record it, racing the others' expiry sweep
            with contextlib.suppress(QueueError):  # swept first: someone else's now
                services.complete_item(item, user, Outcome.COMPLETED)

    _run([work_queue(u, i) for i, u in enumerate(tracers)])
    assert WorkItem.objects.filter(state=State.DONE).count() == len(items)
    assert overlapping_claims() == 0
    # Each item was completed by exactly one claim, and no claim is left open.
    completed = ClaimLog.objects.filter(ended=ClaimEnd.COMPLETED)
    assert completed.count() == len(items)
    assert completed.values("item").distinct().count() == len(items)
    assert not ClaimLog.objects.filter(released_at__isnull=True).exists()
    assert ClaimLog.objects.filter(ended=ClaimEnd.EXPIRED).exists()  # the race did happen
