"""The ingest pipeline: one path for files, MLLP, the drop folder and the API.

For each message: parse; reject with a reason (the raw message kept) or
accept exactly once (its idempotency keys inserted with its results, in one
savepoint); match the person; store the results; open or update cases;
audit; recompute priorities. Messages are committed in small batches, so a
process killed at any point loses at most the uncommitted batch, which a
re-run then accepts: nothing is lost and nothing is stored twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.audit.services import record_bulk
from epitrace.cases.priority import recompute_priority
from epitrace.labs.choices import MessageState
from epitrace.labs.feeds.arrivals import record_arrival
from epitrace.labs.ingest.batch import BatchWriter, Entry
from epitrace.labs.ingest.formats import Format
from epitrace.labs.ingest.records import RecordWriter, Written
from epitrace.labs.ingest.report import LabReport, RawItem, Rejected
from epitrace.labs.models import IngestKey, RawMessage
from epitrace.people.linkage import model as fs
from epitrace.people.matching import importer_model

BATCH = 200
log = logging.getLogger(__name__)


@dataclass
class Summary:
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    results: int = 0
    persons_created: int = 0
    persons_matched: int = 0
    cases_created: int = 0
    cases_updated: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Outcome:
    """What became of one message: accepted, duplicate or rejected (with why)."""

    state: str
    raw_message_id: int | None
    control_id: str = ""
    reason: str = ""


class Pipeline:
    def __init__(self, *, actor: Any, source: str) -> None:
        self.actor = actor  # who the audit names: a user, an API client or the system
        self.source = source
        # Reports are matched against every person in the state, whoever sends
        # them: a scoped sender must not create duplicates of people it cannot see.
        self.writer = RecordWriter(system_user())
        self.summary = Summary()
        self._stored: RawMessage | None = None
        # Audit events and priority updates wait for the end of the batch: one
        # chain append per action for 200 messages, not three per message.
        self._pending: list[Written] = []
        self._batching = False
        self.model: fs.Model | None = None  # the matcher's, sized once per run

    def run(
        self, items: Iterable[RawItem], fmt: Format, source_name: str = ""
    ) -> Iterator[Outcome]:
        """Process ``items``, committing every BATCH messages; yields each outcome."""
        batch: list[RawItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= BATCH:
                yield from self._commit(batch, fmt, source_name)
                batch = []
        if batch:
            yield from self._commit(batch, fmt, source_name)

    def _commit(self, batch: list[RawItem], fmt: Format, source_name: str) -> list[Outcome]:
        record_arrival(self.source)
        with transaction.atomic():
            self._batching = True
            try:
                outcomes = self._write_batch(batch, fmt, source_name)
                if outcomes is None:
                    outcomes = [self.process(item, fmt, source_name) for item in batch]
                self.flush()
            finally:
                self._batching = False
                self._pending = []
        return outcomes

    def _write_batch(
        self, batch: list[RawItem], fmt: Format, source_name: str
    ) -> list[Outcome] | None:
        """The whole batch set-based (``batch.BatchWriter``); None when the
        database refused it and the per-message path must decide instead."""
        if self.model is None:
            self.model = importer_model()
        entries = [self._read(item, fmt, source_name) for item in batch]
        writer = BatchWriter(
            self.writer, self.model, source=self.source, fmt_name=fmt.name, source_name=source_name
        )
        try:
            with transaction.atomic():
                writer.write(entries)
        except (IntegrityError, DataError) as exc:
            # A lost race with another importer, or a value the database
            # refuses: the per-message path decides, message by message.
            # Anything else (a lost connection, a bug) stops the import as it
            # would there; the batch is rolled back and a re-run is exact.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            log.warning(
                "batch of %s messages sent through one by one: %s at %s:%s",
                len(batch),
                type(exc).__name__,
                where.filename,
                where.lineno,
            )
            return None
        return [self._outcome(entry, source_name) for entry in entries]

    def _outcome(self, entry: Entry, source_name: str) -> Outcome:
        self.summary.received += 1
        if entry.state == MessageState.REJECTED:
            assert entry.rejected is not None
            assert entry.raw is not None
            return self._note_rejection(entry.item, source_name, entry.rejected, entry.raw)
        report = entry.report
        assert report is not None
        if entry.state == MessageState.DUPLICATE:
            self.summary.duplicates += 1
            return Outcome(MessageState.DUPLICATE, None, report.control_id)
        assert entry.written is not None
        assert entry.raw is not None
        self._count(entry.written)
        self._pending.append(entry.written)
        return Outcome(MessageState.PROCESSED, entry.raw.pk, report.control_id)

    def _read(self, item: RawItem, fmt: Format, source_name: str) -> Entry:
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
            report = fmt.parse(item.text)
            _validate(report)
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
        return Entry(item, digest, report=report, keys=_keys(report))

    def flush(self) -> None:
        """Audit and re-prioritise what the pending messages wrote (same transaction)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        persons = [p for w in pending if w.person_created for p in w.persons]
        results = [lab for w in pending for lab in w.results]
        created = [c for w in pending for c in w.cases_created]
        updated = list({c.pk: c for w in pending for c in w.cases_updated}.values())
        # Importer writes are audited like any other change, as the acting identity.
        if persons:
            record_bulk(self.actor, "create", persons, reason="lab import")
        if results:
            record_bulk(self.actor, "create", results, reason="lab import")
        if created:
            record_bulk(self.actor, "create", created, reason="lab import")
        if updated:
            record_bulk(self.actor, "update", updated, reason="lab import")
        recompute_priority(c.pk for c in created + updated)

    def process(
        self, item: RawItem, fmt: Format, source_name: str = "", stored: RawMessage | None = None
    ) -> Outcome:
        """One message, inside the caller's transaction.

        ``stored`` is a message already kept (a rejected one, corrected and sent
        through again from the errors screen): it is updated, not duplicated.
        """
        self._stored = stored
        self.summary.received += 1
        if not self._batching:  # a batch records its arrival once, in _commit
            record_arrival(self.source)
        entry = self._read(item, fmt, source_name)
        item, digest = entry.item, entry.digest
        if entry.rejected is not None:
            return self._reject(item, fmt, source_name, digest, entry.rejected)
        report, keys = entry.report, entry.keys
        assert report is not None
        if IngestKey.objects.filter(key__in=keys).exists():
            return self._duplicate(report)
        try:
            with transaction.atomic():  # a savepoint: a lost race undoes only this message
                raw = self._raw(item, fmt, source_name, digest, report, MessageState.PROCESSED)
                IngestKey.objects.bulk_create([IngestKey(key=k, raw_message=raw) for k in keys])
                written = self._write(report, raw)
        except IntegrityError:
            # Another importer accepted the same message between our check and insert.
            return self._duplicate(report)
        except DataError as exc:
            # A value the database refuses (out of range, malformed): this message
            # only is rejected, with the reason; the rest of the batch goes on.
            reason = f"a value could not be stored: {str(exc).splitlines()[0][:200]}"
            return self._reject(
                item, fmt, source_name, digest, Rejected(reason, control_id=report.control_id)
            )
        self._count(written)
        self._pending.append(written)
        if not self._batching:
            self.flush()
        return Outcome(MessageState.PROCESSED, raw.pk, report.control_id)

    def _write(self, report: LabReport, raw: RawMessage) -> Written:
        written = Written()
        person = self.writer.person_for(report, written)
        self.writer.store_results(report, person, raw, written)
        raw.jurisdiction_id = person.jurisdiction_id
        raw.save(update_fields=["jurisdiction"])
        return written

    def _count(self, written: Written) -> None:
        summary = self.summary
        summary.accepted += 1
        summary.results += len(written.results)
        summary.persons_created += written.person_created
        summary.persons_matched += written.person_matched
        summary.cases_created += len(written.cases_created)
        summary.cases_updated += len({c.pk for c in written.cases_updated})

    def _duplicate(self, report: LabReport) -> Outcome:
        self.summary.duplicates += 1
        stored = self._stored
        if stored is not None:  # a corrected message that turned out to be known already
            stored.state, stored.error = MessageState.DUPLICATE, ""
            stored.save(update_fields=["state", "error"])
            return Outcome(MessageState.DUPLICATE, stored.pk, report.control_id)
        return Outcome(MessageState.DUPLICATE, None, report.control_id)

    def _reject(
        self, item: RawItem, fmt: Format, source_name: str, digest: str, exc: Rejected
    ) -> Outcome:
        # The same bad message sent again is kept once, with its reason.
        raw = (
            self._stored
            or RawMessage.objects.filter(sha256=digest, state=MessageState.REJECTED).first()
        )
        if raw is None or raw is self._stored:
            raw = self._raw(item, fmt, source_name, digest, None, MessageState.REJECTED)
            raw.error = exc.reason
            raw.control_id = exc.control_id[:200]
            raw.save(update_fields=["error", "control_id"])
        return self._note_rejection(item, source_name, exc, raw)

    def _note_rejection(
        self, item: RawItem, source_name: str, exc: Rejected, raw: RawMessage
    ) -> Outcome:
        self.summary.rejected += 1
        self.summary.rejections.append(
            {
                "file": source_name,
                "index": item.index,
                "control_id": exc.control_id,
                "reason": exc.reason,
            }
        )
        return Outcome(MessageState.REJECTED, raw.pk, exc.control_id, exc.reason)

    def _raw(
        self,
        item: RawItem,
        fmt: Format,
        source_name: str,
        digest: str,
        report: LabReport | None,
        state: str,
    ) -> RawMessage:
        if self._stored is not None:
            return self._update_stored(item, digest, report, state)
        return RawMessage.objects.create(
            format=fmt.name,
            source=self.source,
            source_name=source_name[:500],
            content=item.text,
            sha256=digest,
            position=item.index,
            control_id=(report.control_id if report else "")[:200],
            sending_facility=(report.sending_facility if report else "")[:200],
            state=state,
            processed_at=timezone.now(),
        )

    def _update_stored(
        self, item: RawItem, digest: str, report: LabReport | None, state: str
    ) -> RawMessage:
        raw = self._stored
        assert raw is not None
        raw.content, raw.sha256, raw.state = item.text, digest, state
        raw.control_id = (report.control_id if report else raw.control_id)[:200]
        raw.sending_facility = (report.sending_facility if report else raw.sending_facility)[:200]
        raw.error = "" if state != MessageState.REJECTED else raw.error
        raw.processed_at = timezone.now()
        raw.save()
        return raw


def reprocess(messages: Iterable[RawMessage], *, actor: Any) -> Summary:
    """Send stored messages (rejected ones, perhaps corrected) through the pipeline again."""
    from epitrace.labs.ingest.formats import get_format

    pipeline = Pipeline(actor=actor, source="reprocess")
    for raw in messages:
        with transaction.atomic():
            item = RawItem(raw.position, raw.content)
            pipeline.process(item, get_format(raw.format), raw.source_name, stored=raw)
    return pipeline.summary


def _validate(report: LabReport) -> None:
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


def _keys(report: LabReport) -> list[str]:
    """The sender's key (facility + control id) and the normalised content's key."""
    keys = ["content:" + _content_digest(report)]
    if report.control_id:
        keys.append(f"msg:{report.sending_facility}|{report.control_id}"[:300])
    return keys


def _content_digest(report: LabReport) -> str:
    # The same report re-sent under another control id or at another time is
    # the same content: leave out what changes between sendings.
    body = {"patient": _plain(report.patient), "results": [_plain(r) for r in report.results]}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
