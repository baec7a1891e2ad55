"""Reading messages (parse, validate, keys) ahead of the database, in worker processes.

Parsing is pure computation and the largest single cost of an import; the
database writes are the other. For a large input, batches are parsed by a
small pool of processes while the main process writes the batch before:
``ReadAhead`` keeps a few batches in flight and hands them back in input
order. Small inputs (one batch) are read in the main process, which keeps
the API and MLLP paths, one message at a time, free of any pool.

Workers start from a clean interpreter (``forkserver``), never by forking a
process that holds database connections or threads (the job worker runs
imports from threads).
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING

from epitrace.labs.ingest.report import LabReport, RawItem, Rejected

if TYPE_CHECKING:  # workers import this module before Django is set up
    from epitrace.labs.ingest.records import Written
    from epitrace.labs.models import RawMessage

log = logging.getLogger(__name__)
Parse = Callable[[str], LabReport]
AHEAD = 3  # batches parsed ahead of the one being written


@dataclass
class Entry:
    """One message of a batch and what became of it."""

    item: RawItem
    digest: str
    report: LabReport | None = None
    keys: list[str] = field(default_factory=list)
    rejected: Rejected | None = None
    state: str = ""
    raw: RawMessage | None = None
    written: Written | None = None


def default_workers() -> int:
    from django.conf import settings

    configured = getattr(settings, "EPITRACE_IMPORT_WORKERS", None)
    if configured is not None:
        return max(int(configured), 0)
    return min(os.cpu_count() or 1, 4)


def read_item(item: RawItem, parse: Parse, source_name: str) -> Entry:
    """Parse and validate one message; a rejection says why."""
    if "\x00" in item.text:
        # PostgreSQL text cannot hold NUL; a NUL in a lab message is line noise.
        # It is kept visibly (U+2400) so the stored message shows where it was.
        item = RawItem(item.index, item.text.replace("\x00", "\u2400"), item.problem)
    # A problem item (an empty or unreadable file) is kept per file and reason:
    # two empty files are two things to look at, not one.
    seen = f"{source_name}\n{item.problem}\n{item.text}" if item.problem else item.text
    digest = hashlib.sha256(seen.encode("utf-8", "surrogatepass")).hexdigest()
    if item.problem:
        return Entry(item, digest, rejected=Rejected(item.problem))
    try:
        report = parse(item.text)
        validate(report)
    except Rejected as exc:
        return Entry(item, digest, rejected=exc)
    except Exception as exc:  # a parser bug must cost one message, never the import
        # Type and code location only: an exception's text may quote the message.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log.error(
            "parser error %s at %s:%s on message %s",
            type(exc).__name__,
            where.filename,
            where.lineno,
            item.index,
        )
        reason = f"internal error while reading the message ({type(exc).__name__})"
        return Entry(item, digest, rejected=Rejected(reason))
    return Entry(item, digest, report=report, keys=keys_of(report))


def read_batch(items: list[RawItem], parse: Parse, source_name: str) -> list[Entry]:
    return [read_item(item, parse, source_name) for item in items]


def validate(report: LabReport) -> None:
    patient = report.patient
    if not report.results:
        raise Rejected("no test result in the message", control_id=report.control_id)
    if not (patient.family_name or patient.given_name or patient.identifiers):
        raise Rejected(
            "the patient has neither a name nor an identifier", control_id=report.control_id
        )
    if patient.species:
        raise Rejected(
            f"the subject is not a person ({patient.species})", control_id=report.control_id
        )


def keys_of(report: LabReport) -> list[str]:
    """The sender's key (facility + control id) and the normalised content's key."""
    keys = ["content:" + content_digest(report)]
    if report.control_id:
        keys.append(f"msg:{report.sending_facility}|{report.control_id}"[:300])
    return keys


def content_digest(report: LabReport) -> str:
    # The same report re-sent under another control id or at another time is
    # the same content: leave out what changes between sendings. The reports
    # are plain dataclasses of str, dates and lists, whose repr is canonical.
    body = repr((report.patient, report.results))
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def batches(items: Iterable[RawItem], size: int) -> Iterator[list[RawItem]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def read_ahead(
    chunks: Iterable[list[RawItem]], parse: Parse, source_name: str, workers: int
) -> Iterator[tuple[list[RawItem], list[Entry]]]:
    """Each batch with its entries, in order; parsed by ``workers`` processes
    once there is more than one batch."""
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return
    second = next(iterator, None)
    if second is None or workers < 1:
        for batch in (first, second, *iterator) if second is not None else (first,):
            yield batch, read_batch(batch, parse, source_name)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_setup) as pool:
        pending: deque[tuple[list[RawItem], Future[list[Entry]]]] = deque()
        for batch in (first, second, *iterator):
            pending.append((batch, pool.submit(read_batch, batch, parse, source_name)))
            if len(pending) > AHEAD:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
        _note_peaks(pool)


# Largest resident memory (kB) any parsing worker reached, for ``bench ingest``.
worker_peak_kb = 0


def _note_peaks(pool: ProcessPoolExecutor) -> None:
    global worker_peak_kb
    for pid in list(getattr(pool, "_processes", None) or {}):
        try:
            status = open(f"/proc/{pid}/status", encoding="ascii").read()  # noqa: SIM115
        except OSError:
            continue  # not Linux, or already gone
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                worker_peak_kb = max(worker_peak_kb, int(line.split()[1]))


def _setup() -> None:
    # The parsers read Django settings (code tables are looked up later, in
    # the main process); a worker needs the apps loaded, not a connection.
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
