"""The ingest pipeline: one path for files, MLLP, the drop folder and the API.

For each message: parse; reject with a reason (the raw message kept) or
accept exactly once (its idempotency keys inserted with its results, in one
savepoint); match the person; store the results; open or update cases;
audit; recompute priorities. Messages are committed in small batches, so a
process killed at any point loses at most the uncommitted batch, which a
re-run then accepts: nothing is lost and nothing is stored twice.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.audit.services import record_bulk
from epitrace.cases.models import Case
from epitrace.cases.priority import recompute_priority
from epitrace.labs.choices import MessageState
from epitrace.labs.feeds.arrivals import record_arrival
from epitrace.labs.ingest.batch import BatchWriter
from epitrace.labs.ingest.chains import link_new_cases
from epitrace.labs.ingest.formats import Format
from epitrace.labs.ingest.reading import Entry, batches, default_workers, read_ahead, read_item
from epitrace.labs.ingest.records import RecordWriter, Written
from epitrace.labs.ingest.report import LabReport, RawItem, Rejected
from epitrace.labs.models import IngestKey, RawMessage
from epitrace.monitoring.triggers import on_new_cases
from epitrace.people.linkage import model as fs
from epitrace.people.matching import importer_model

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
    def __init__(self, *, actor: Any, source: str, workers: int | None = None) -> None:
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
        self.workers = default_workers() if workers is None else workers

    def run(
        self, items: Iterable[RawItem], fmt: Format, source_name: str = ""
    ) -> Iterator[Outcome]:
        """Process ``items``, committing every ``EPITRACE_IMPORT_BATCH`` messages;
        yields each outcome.

        Batches are parsed ahead by worker processes (``reading``) while the
        one before is written; outcomes still come in input order.
        """
        chunks = batches(items, settings.EPITRACE_IMPORT_BATCH)
        for batch, entries in read_ahead(chunks, fmt.parse, source_name, self.workers):
            yield from self._commit(batch, entries, fmt, source_name)

    def _commit(
        self, batch: list[RawItem], entries: list[Entry], fmt: Format, source_name: str
    ) -> list[Outcome]:
        record_arrival(self.source)
        with transaction.atomic():
            self._batching = True
            try:
                outcomes = self._write_batch(entries, fmt, source_name)
                if outcomes is None:
                    outcomes = [self.process(item, fmt, source_name) for item in batch]
                self.flush()
            finally:
                self._batching = False
                self._pending = []
        return outcomes

    def _write_batch(
        self, entries: list[Entry], fmt: Format, source_name: str
    ) -> list[Outcome] | None:
        """The whole batch set-based (``batch.BatchWriter``); None when the
        database refused it and the per-message path must decide instead."""
        if self.model is None:
            self.model = importer_model()
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
                len(entries),
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
        return read_item(item, fmt.parse, source_name)

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
        self.cases_changed(created, updated)

    def cases_changed(self, created: list[Case], updated: list[Case]) -> None:
        """What follows from the cases a batch (or one message) created or updated.

        The one place where they are known together, saved and audited, in the
        batch's transaction: each step here is a fixed number of statements
        per call, whatever the number of cases (a batch holds up to
        ``EPITRACE_IMPORT_BATCH`` messages). ``updated`` holds each case once.
        """
        linked = link_new_cases(created)
        if linked:
            record_bulk(
                self.actor, "update", linked, reason="lab import: the contact became a case"
            )
        recompute_priority(c.pk for c in created + updated)
        # A new positive case: the self-interview link and, for an adult, the
        # exposure-notification code request, queued in this transaction.
        on_new_cases(created)

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
