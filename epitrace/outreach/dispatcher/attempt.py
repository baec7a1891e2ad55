"""One attempt at one claimed row, in a sender thread: look first if unsure, then send.

Runs without the database. Before every provider call the thread checks its
worker's lease (:class:`Lease`): a worker whose heartbeat may have lapsed
sends nothing more, because another worker may already be taking its rows
back. That is what makes "a key is never sent twice" hold across crashes,
pauses and network partitions, not only across clean restarts.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from epitrace.outreach import conf
from epitrace.outreach.dispatcher.claims import Claimed
from epitrace.outreach.transports import (
    Accepted,
    Ambiguous,
    Outgoing,
    Permanent,
    SendError,
    Transient,
    Transport,
    Unknowable,
    transport_for,
)

log = logging.getLogger(__name__)
SAFETY_MARGIN_S = 5.0  # clock and scheduling slack, at most a sixth of the lease


@dataclass(frozen=True)
class Outcome:
    """What became of an attempt: sent, retry, unsure, failed, unknown, skipped."""

    kind: str
    accepted: Accepted | None = None
    error: SendError | None = None
    looked_up: bool = False


class Lease:
    """This worker's right to send, renewed by each heartbeat the database took.

    ``epoch`` changes when the lease lapsed: rows claimed before then may be
    another worker's by now, and are never sent by this one.
    """

    def __init__(self) -> None:
        self.length = conf.lease().total_seconds()
        # Sends must finish before the lease ends: the last start is this long after a beat.
        margin = min(SAFETY_MARGIN_S, self.length / 6)
        self.window = self.length - conf.request_timeout() - margin
        if self.window <= 0:
            raise ValueError("EPITRACE_OUTREACH_LEASE_SECONDS is too short for the request timeout")
        self._state = (0, time.monotonic())  # (epoch, last beat): replaced whole, read whole

    @property
    def epoch(self) -> int:
        return self._state[0]

    def renewed(self, at: float) -> None:
        epoch, last = self._state
        if at - last > self.length:
            epoch += 1
        self._state = (epoch, at)

    def may_send(self, epoch: int) -> bool:
        current, last = self._state
        return current == epoch and time.monotonic() - last < self.window


class Senders:
    """Per-thread transports, created on first use and all closed at the end."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[Transport] = []
        self._lock = threading.Lock()

    def get(self, channel: str) -> Transport:
        mine: dict[str, Transport] = self._local.__dict__.setdefault("transports", {})
        if channel not in mine:
            mine[channel] = transport_for(channel)
            with self._lock:
                self._all.append(mine[channel])
        return mine[channel]

    def close(self) -> None:
        with self._lock:
            for transport in self._all:
                try:
                    transport.close()
                except Exception:  # closing is best effort; the process is ending
                    log.warning("outbox: closing a transport failed", exc_info=True)
            self._all.clear()


def outgoing(row: Claimed, taken: frozenset[str] = frozenset()) -> Outgoing:
    return Outgoing(
        id=row.id,
        key=row.key,
        attempt=row.attempt,
        channel=row.channel,
        address=row.address,
        subject=row.subject,
        body=row.body,
        payload=row.payload,
        language=row.language,
        since=row.created_at,
        taken=taken,
    )


def attempt(row: Claimed, senders: Senders, lease: Lease, taken: frozenset[str]) -> Outcome:
    if not lease.may_send(row.epoch):
        return Outcome("skipped")
    message = outgoing(row, taken)
    try:
        transport = senders.get(row.channel)
        if row.unsure:
            try:
                found = transport.lookup(message)
            except Unknowable:
                return Outcome("unknown")
            if (settled := _after_lookup(row, found, lease)) is not None:
                return settled
        return Outcome("sent", accepted=transport.send(message))
    except SendError as error:
        return failed(error)
    except Exception as error:  # a bug or an unforeseen library error: maybe sent
        log.exception("outbox: message %s: unexpected error", row.id)
        return Outcome("unsure", error=SendError("internal", type(error).__name__))


def _after_lookup(row: Claimed, found: Accepted | None, lease: Lease) -> Outcome | None:
    """What a lookup settled (found, gave up, lease gone), or None: send it now."""
    if found is not None:
        return Outcome("sent", accepted=found, looked_up=True)
    if row.attempt > conf.max_attempts():
        return Outcome("failed", error=Permanent("max_attempts", "gave up"))
    if not lease.may_send(row.epoch):  # the lookup took time
        return Outcome("skipped")
    return None


def failed(error: SendError) -> Outcome:
    if isinstance(error, Transient):
        return Outcome("retry", error=error)
    if isinstance(error, Ambiguous):
        return Outcome("unsure", error=error)
    return Outcome("failed", error=error)


async def attempt_async(
    row: Claimed, transport: Any, lease: Lease, taken: frozenset[str]
) -> Outcome:
    """:func:`attempt` for a transport with coroutines (Twilio's asynchronous client)."""
    if not lease.may_send(row.epoch):
        return Outcome("skipped")
    message = outgoing(row, taken)
    try:
        if row.unsure:
            found = await transport.lookup(message)
            if (settled := _after_lookup(row, found, lease)) is not None:
                return settled
        return Outcome("sent", accepted=await transport.send(message))
    except SendError as error:
        return failed(error)
    except Exception as error:  # a bug or an unforeseen library error: maybe sent
        log.exception("outbox: message %s: unexpected error", row.id)
        return Outcome("unsure", error=SendError("internal", type(error).__name__))
