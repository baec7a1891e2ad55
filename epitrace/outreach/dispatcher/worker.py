"""The dispatcher: claim due rows, send them from a thread pool, record the answers.

One process runs one :class:`Dispatcher`; any number of processes on any
number of hosts may run at once. The main thread owns the database: it
claims a batch (committed "sending" before any provider call), screens it
(deceased, opted out, outside the window), hands the rows to sender threads
(each with its own provider connection, kept alive), and records their
outcomes in batches. It also renews the worker's heartbeat; sender threads
refuse to start a send when that heartbeat may have lapsed (attempt.Lease).

On start and every half lease it takes back the rows of dead workers; those
rows are looked up at the provider before anything is sent again.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.utils import timezone

from epitrace.outreach import conf
from epitrace.outreach.choices import Channel, Skip
from epitrace.outreach.dispatcher import claims, record
from epitrace.outreach.dispatcher.aio import AsyncSenders
from epitrace.outreach.dispatcher.attempt import Lease, Outcome, Senders, attempt
from epitrace.outreach.dispatcher.claims import Claimed
from epitrace.outreach.models import OutboxMessage
from epitrace.outreach.transports import Accepted, SendError
from epitrace.outreach.transports.twilio import aio as twilio_aio
from epitrace.outreach.window import inside

log = logging.getLogger(__name__)
IDLE_WAIT_S = 1.0


@dataclass
class Summary:
    claimed: int = 0
    taken_back: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, int]:
        kinds = ("sent", "retry", "unsure", "failed", "gave_up", "unknown", "cancelled")
        result = {"claimed": self.claimed, "taken_back": self.taken_back}
        result.update({kind: self.outcomes.get(kind, 0) for kind in kinds})
        result["deferred"] = self.outcomes.get("deferred", 0)
        result["skipped"] = self.outcomes.get("skipped", 0)
        result["reconciled"] = self.outcomes.get("reconciled", 0)
        return result


class Dispatcher:
    def __init__(self, *, threads: int | None = None, batch: int | None = None) -> None:
        self.threads = threads or conf.threads()
        self.batch = batch or conf.batch()
        self.lease = Lease()
        self.senders = Senders()
        self.summary = Summary()
        self.worker_id = 0
        self._next_beat = 0.0
        self._next_takeback = 0.0
        self.aio: AsyncSenders | None = None

    def run(
        self,
        *,
        once: bool = False,
        max_seconds: float | None = None,
        stop: threading.Event | None = None,
    ) -> Summary:
        """Send until stopped; with ``once``, until nothing is due (or ``max_seconds``)."""
        stop = stop or threading.Event()
        deadline = time.monotonic() + max_seconds if max_seconds else None
        claims.forget_old_workers()
        self.worker_id = claims.register(socket.gethostname(), os.getpid()).pk
        self._heartbeat(force=True)
        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="outbox-sender")
        if conf.transport_name(Channel.SMS) == "twilio" and twilio_aio.usable():
            self.aio = AsyncSenders(self.lease, self.threads)
        inflight: dict[Future[Outcome], Claimed] = {}
        finished: queue.SimpleQueue[Future[Outcome]] = queue.SimpleQueue()
        done: list[tuple[Claimed, Outcome]] = []
        drained = False
        try:
            while True:
                self._heartbeat()
                ending = stop.is_set() or (deadline is not None and time.monotonic() > deadline)
                if not ending and not drained and len(inflight) < self._high_water():
                    rows = claims.claim(self.worker_id, self.batch)
                    self.summary.claimed += len(rows)
                    drained = once and not rows
                    for row, taken in self._screen(rows, done):
                        if self.aio is not None and row.channel == Channel.SMS:
                            future = self.aio.submit(row, taken)
                        else:
                            future = pool.submit(attempt, row, self.senders, self.lease, taken)
                        inflight[future] = row
                        future.add_done_callback(finished.put)
                if not inflight:
                    self._flush(done)
                    if ending or drained:
                        break
                    if not done:
                        stop.wait(IDLE_WAIT_S)
                    continue
                for future in _completed(finished):
                    done.append((inflight.pop(future), future.result()))
                if len(done) >= self.batch or not inflight:
                    self._flush(done)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            if self.aio is not None:
                self.aio.close()
            for future, row in inflight.items():
                if future.cancelled():  # never started: back to the queue as it was
                    done.append((row, Outcome("skipped")))
                elif future.done():
                    done.append((row, future.result()))
            self._flush(done)
            self.senders.close()
            claims.stop(self.worker_id)
        return self.summary

    def _high_water(self) -> int:
        return max(self.batch, self.threads * 4)

    # --- Heartbeat and taking back -----------------------------------------------------

    def _heartbeat(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now >= self._next_beat:
            if claims.beat(self.worker_id):
                self.lease.renewed(time.monotonic())
            self._next_beat = now + self.lease.length / 6
        if force or now >= self._next_takeback:
            taken = claims.take_back_orphans()
            if taken:
                log.info("outbox: took back %d rows of stopped dispatchers", taken)
            self.summary.taken_back += taken
            self._next_takeback = now + self.lease.length / 2

    # --- Screening a claimed batch -------------------------------------------------------

    def _screen(
        self, rows: list[Claimed], decided: list[tuple[Claimed, Outcome]]
    ) -> list[tuple[Claimed, frozenset[str]]]:
        """The rows to send, each with the provider ids its lookup must skip.

        Outcomes decided without a provider (deceased, opted out, outside the
        window, already known sent) are appended to ``decided``.
        """
        if not rows:
            return []
        taken = _taken([r for r in rows if r.unsure])
        now = timezone.now()
        looking: set[str] = set()
        go: list[tuple[Claimed, frozenset[str]]] = []
        for row in rows:
            row.epoch = self.lease.epoch
            if row.deceased:
                decided.append((row, _cancel(Skip.DECEASED)))
            elif row.suppressed:
                decided.append((row, _cancel(Skip.SUPPRESSED)))
            elif row.unsure and row.provider_id:
                # A delivery receipt told us its sid while the row was stuck: it went.
                accepted = Accepted(row.provider_id, "sent")
                decided.append((row, Outcome("sent", accepted=accepted, looked_up=True)))
            elif not inside(now, row.time_zone, row.send_window):
                decided.append((row, Outcome("deferred")))
            elif row.unsure and row.address in looking:
                # Two lookups on one number at once could both find the same message:
                # one at a time, the second after the first's answer is recorded.
                decided.append((row, Outcome("skipped")))
            else:
                if row.unsure:
                    looking.add(row.address)
                go.append((row, taken.get(row.address, frozenset()) - {row.provider_id}))
        return go

    def _flush(self, done: list[tuple[Claimed, Outcome]]) -> None:
        if not done:
            return
        counts = record.write(self.worker_id, done)
        counts["reconciled"] = sum(1 for _row, outcome in done if outcome.looked_up)
        self.summary.outcomes.update(counts)
        done.clear()


def _completed(finished: queue.SimpleQueue[Future[Outcome]]) -> list[Future[Outcome]]:
    """The sends finished since the last look; waits a moment for one when there are none."""
    try:
        found = [finished.get(timeout=IDLE_WAIT_S)]
    except queue.Empty:
        return []
    while True:
        try:
            found.append(finished.get_nowait())
        except queue.Empty:
            return found


def _taken(unsure: list[Claimed]) -> dict[str, frozenset[str]]:
    """Provider ids already held by rows to the addresses of the rows to look up."""
    if not unsure:
        return {}
    found: dict[str, set[str]] = {}
    rows = (
        OutboxMessage.objects.filter(address__in={r.address for r in unsure})
        .exclude(provider_id="")
        .exclude(pk__in=[r.id for r in unsure])
        .values_list("address", "provider_id")
    )
    for address, provider_id in rows:
        found.setdefault(address, set()).add(provider_id)
    return {address: frozenset(ids) for address, ids in found.items()}


def _cancel(why: Skip) -> Outcome:
    return Outcome("cancelled", error=SendError(why, str(why.label)))
