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

import dataclasses
import functools
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
from typing import TYPE_CHECKING, Any

from epitrace.labs.ingest.report import LabReport, RawItem, Rejected

if TYPE_CHECKING:  # workers import this module before Django is set up
    from epitrace.labs.ingest.records import Written
    from epitrace.labs.models import RawMessage
    from epitrace.people.linkage.record import Record

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
    # The matcher's view of the patient, built with the parse (pure
    # computation), packed as plain values (see ``pack_record``).
    packed_record: tuple[Any, ...] | None = None
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
    """A batch read for the set-based writer: each accepted report also gets
    its matcher record, so the main process (the one that writes) need not."""
    from epitrace.people.linkage.record import from_patient

    entries = [read_item(item, parse, source_name) for item in items]
    for entry in entries:
        if entry.report is not None:
            entry.packed_record = pack_record(from_patient("", entry.report.patient))
    return entries


# A record crosses the process boundary as nested tuples of plain values:
# pickle copies those at C speed, while slotted dataclasses take a Python
# call per object each way (unpickling them cost the writing process about
# as much as building the record).
def pack_record(record: Record) -> tuple[Any, ...]:
    from epitrace.people.linkage.record import Name

    return tuple(
        (value.text, value.key, value.sound, value.sound2) if isinstance(value, Name) else value
        for value in (getattr(record, name) for name in _record_fields())
    )


def unpack_record(packed: tuple[Any, ...]) -> Record:
    from epitrace.people.linkage.record import Name, Record

    given, family = _name_positions()
    values = list(packed)
    values[given], values[family] = Name(*values[given]), Name(*values[family])
    return Record(*values)


@functools.cache
def _name_positions() -> tuple[int, int]:
    names = _record_fields()
    return names.index(_NAME_FIELDS[0]), names.index(_NAME_FIELDS[1])


_NAME_FIELDS = ("given", "family")


@functools.cache
def _record_fields() -> tuple[str, ...]:
    from epitrace.people.linkage.record import Name, Record

    found = tuple(f.name for f in dataclasses.fields(Record))
    assert {f.name for f in dataclasses.fields(Record) if f.type in ("Name", Name)} == set(
        _NAME_FIELDS
    ), "Record's name fields changed: update _NAME_FIELDS"
    return found


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
        ahead = _Ahead(pool, workers, parse, source_name)
        # The first batch is this process's: starting the workers (a Django
        # start each) takes longer than reading it, and the next ones are
        # sent to them meanwhile.
        ahead.add(first, here=True)
        for batch in (second, *iterator):
            ahead.add(batch)
            if len(ahead.slots) > AHEAD:
                yield ahead.take()
        while ahead.slots:
            yield ahead.take()
        _note_peaks(pool)


@dataclass
class _Slot:
    batch: list[RawItem]
    job: Future[list[Entry]] | list[Entry] | None = None  # None: not sent yet
    here: bool = False  # read by the writing process, never sent

    @property
    def busy(self) -> bool:
        return isinstance(self.job, Future) and not self.job.done()


class _Ahead:
    """Batches in input order, each read by a worker or, when the workers
    are behind, by the writing process itself.

    One batch more than there are workers is sent to the pool; the others
    wait here unsent. When the writer needs the next batch and it is not
    read yet, the writer reads the newest unsent batch instead of sitting
    idle: on a busy machine the workers get less CPU than they need, and
    the writer's idle time is what it can give them.
    """

    def __init__(self, pool: ProcessPoolExecutor, workers: int, parse: Parse, name: str) -> None:
        self.pool, self.limit = pool, workers + 1
        self.parse, self.name = parse, name
        self.slots: deque[_Slot] = deque()

    def add(self, batch: list[RawItem], *, here: bool = False) -> None:
        self.slots.append(_Slot(batch, here=here))
        self._send()

    def take(self) -> tuple[list[RawItem], list[Entry]]:
        head = self.slots[0]
        while head.busy:
            newest = next(
                (slot for slot in reversed(self.slots) if slot.job is None and not slot.here), None
            )
            if newest is None:
                break  # everything is sent: wait for the workers
            newest.job = read_batch(newest.batch, self.parse, self.name)
        self.slots.popleft()
        if head.job is None:
            entries = read_batch(head.batch, self.parse, self.name)
        elif isinstance(head.job, Future):
            entries = head.job.result()
        else:
            entries = head.job
        self._send()
        return head.batch, entries

    def _send(self) -> None:
        sent = sum(slot.busy for slot in self.slots)
        for slot in self.slots:
            if sent >= self.limit:
                return
            if slot.job is None and not slot.here:
                slot.job = self.pool.submit(read_batch, slot.batch, self.parse, self.name)
                sent += 1


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
