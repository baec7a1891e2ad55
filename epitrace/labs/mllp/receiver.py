"""One MLLP frame -> stored through the pipeline -> its acknowledgement.

The order is the point: the message is processed in its own durable
transaction, and the ACK is built only once that transaction has committed.
A crash before the commit leaves nothing and sends no ACK (the sender sends
again); a crash after it leaves the message stored and unacknowledged (the
sender sends again, and the copy is a duplicate, acknowledged AA).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.db import DatabaseError, close_old_connections, connection, transaction

from epitrace.accounts.scope import system_user
from epitrace.labs.choices import MessageState
from epitrace.labs.feeds.arrivals import record_arrival
from epitrace.labs.ingest.formats import get_format
from epitrace.labs.ingest.hl7.split import decode_hl7
from epitrace.labs.ingest.pipeline import Outcome, Pipeline
from epitrace.labs.ingest.report import RawItem
from epitrace.labs.mllp.ack import (
    INTERNAL,
    SEGMENT_SEQUENCE,
    AckCode,
    Header,
    build_ack,
    read_header,
)
from epitrace.labs.mllp.framing import Frame
from epitrace.labs.models import FeedName

log = logging.getLogger(__name__)

NOT_HL7 = "not an HL7 v2 message: the frame does not start with an MSH segment"
EMPTY = "empty MLLP frame"
UNAVAILABLE = "the message could not be stored (database unavailable); send it again later"
FAILED = "the message could not be stored (internal error); send it again later"
# A connection can stay open for days; the pipeline's in-memory code tables,
# town map and disease profiles are re-read this often (seconds).
PIPELINE_MAX_AGE = 300.0


class Receiver:
    """Answers the frames of one connection, in order (one thread)."""

    def __init__(
        self,
        *,
        peer: str,
        max_bytes: int,
        actor_factory: Callable[[], Any] = system_user,
    ) -> None:
        self.peer = peer
        self.max_bytes = max_bytes
        self.counts: Counter[str] = Counter()
        self._actor_factory = actor_factory
        self._actor: Any = None
        self._pipeline: Pipeline | None = None
        self._pipeline_born = 0.0
        self._position = 0

    def answer(self, frame: Frame) -> str:
        """Store ``frame``'s message and return the ACK to send; never raises."""
        self._position += 1
        try:
            return self._answer(frame)
        except Exception as exc:  # a bug of ours must not take the connection down
            return self._failed(None, FAILED, exc)

    def _answer(self, frame: Frame) -> str:
        text = decode_hl7(frame.content).replace("\x00", "\ufffd")  # no NUL in a text column
        header = read_header(text)
        if frame.oversized:
            return self._reject(
                header, f"message of {frame.size} bytes is over the {self.max_bytes} byte limit"
            )
        if not text.strip(" \t\r\n"):
            return self._reject(header, EMPTY)
        try:
            outcome = self._store(text, header)
        except DatabaseError as exc:
            return self._failed(header, UNAVAILABLE, exc)
        except Exception as exc:  # a bug of ours must not take the listener down
            return self._failed(header, FAILED, exc)
        return self._acknowledge(outcome, header)

    def _store(self, text: str, header: Header | None) -> Outcome:
        item = RawItem(self._position, text, problem="" if header else NOT_HL7)
        with _one_writer_on_sqlite():
            close_old_connections()  # as a request would: drop a broken or expired connection
            pipeline = self._fresh_pipeline()
            with transaction.atomic(durable=True):
                outcome = pipeline.process(item, get_format("hl7"), f"mllp {self.peer}")
                record_arrival(FeedName.MLLP)
        return outcome

    def _fresh_pipeline(self) -> Pipeline:
        now = time.monotonic()
        if self._pipeline is None or now - self._pipeline_born > PIPELINE_MAX_AGE:
            if self._actor is None:
                self._actor = self._actor_factory()
            self._pipeline = Pipeline(actor=self._actor, source=FeedName.MLLP)
            self._pipeline_born = now
        return self._pipeline

    def _acknowledge(self, outcome: Outcome, header: Header | None) -> str:
        self.counts[outcome.state] += 1
        self._log(logging.INFO, header, outcome.state)
        if header is None:  # kept as a rejected message, but not HL7: nothing to acknowledge
            return build_ack(None, AckCode.REJECT, outcome.reason or NOT_HL7, SEGMENT_SEQUENCE)
        if outcome.state == MessageState.REJECTED:
            return build_ack(header, AckCode.ERROR, outcome.reason)
        return build_ack(header, AckCode.ACCEPT)

    def _reject(self, header: Header | None, reason: str) -> str:
        self.counts["not stored"] += 1
        self._log(logging.WARNING, header, "not stored")
        return build_ack(header, AckCode.REJECT, reason, INTERNAL)

    def _failed(self, header: Header | None, reason: str, exc: Exception) -> str:
        self._pipeline = None  # its caches may hold rows of the rolled-back transaction
        self.counts["not stored"] += 1
        self._log(logging.ERROR, header, f"not stored ({type(exc).__name__})")
        return build_ack(header, AckCode.REJECT, reason, INTERNAL)

    def _log(self, level: int, header: Header | None, what: str) -> None:
        control_id = printable(header.control_id) if header else "-"
        log.log(
            level,
            "mllp %s: message %d %s, control id %s",
            self.peer,
            self._position,
            what,
            control_id,
        )


# SQLite writes one transaction at a time. Its busy handler leaves the other
# connections polling, and a message unlucky past the timeout would be refused;
# a lock in the listener queues them in arrival order instead.
_SQLITE_WRITER = threading.Lock()


def _one_writer_on_sqlite() -> AbstractContextManager[object]:
    return _SQLITE_WRITER if connection.vendor == "sqlite" else nullcontext()


def printable(value: str, limit: int = 64) -> str:
    """``value`` safe for a log line: no control characters, bounded length."""
    return "".join(ch if ch.isprintable() else "?" for ch in value[:limit]) or "-"
