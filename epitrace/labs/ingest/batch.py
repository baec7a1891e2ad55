"""Writing a whole batch of accepted reports with a constant number of queries.

The per-message path (``Pipeline.process``) costs some twenty queries per
message; a state's hourly file of 100,000 messages would take half an hour.
Here a batch is read once (which keys are known, which persons could match,
their cases, their identifiers and contact points), decided in memory in
message order with exactly the rules of ``records.RecordWriter`` (the same
functions where they can be shared), and written with one bulk insert per
table. Two reports about one new person in a batch find each other, because
the matcher registers the persons created so far.

The batch runs in a savepoint. If the database refuses it (another importer
accepted one of its messages meanwhile, or a value it cannot store), the
savepoint is rolled back and the caller sends the batch through the
per-message path, which decides message by message: the guarantees of that
path (exactly once, a refused value rejects one message) hold unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from epitrace.cases.models import Case
from epitrace.core.bulkinsert import insert, insert_rows, new_instance
from epitrace.diseases.models import Interpretation
from epitrace.labs.choices import MessageState, ResultStatus
from epitrace.labs.ingest.normalise import status_of
from epitrace.labs.ingest.reading import Entry, unpack_record
from epitrace.labs.ingest.records import (
    REPLACING,
    RecordWriter,
    Written,
    contact_points_of,
    identifiers_of,
    local_day,
    new_case,
    new_person,
    refresh_case,
    same_episode,
)
from epitrace.labs.ingest.report import LabReport
from epitrace.labs.models import IngestKey, LabResult, RawMessage
from epitrace.people.choices import ContactKind
from epitrace.people.linkage import model as fs
from epitrace.people.linkage import text
from epitrace.people.linkage.record import Record
from epitrace.people.matching import BatchMatcher, Match, propose
from epitrace.people.matchkeys import phone_key
from epitrace.people.models import ContactPoint, Person, PersonIdentifier, PersonMatchKey

# A lab result in memory: ("db", pk) for a stored one, ("new", id()) otherwise.
Token = tuple[str, int]


class BatchWriter:
    def __init__(
        self, writer: RecordWriter, model: fs.Model, *, source: str, fmt_name: str, source_name: str
    ) -> None:
        self.writer = writer
        self.model = model
        self.source = source
        self.fmt_name = fmt_name
        self.source_name = source_name[:500]
        self.now = timezone.now()
        # Rows to insert, in dependency order.
        self.persons: list[Person] = []
        self.identifiers: list[PersonIdentifier] = []
        self.points: list[ContactPoint] = []
        self.raws: list[RawMessage] = []
        self.ingest_keys: list[tuple[str, RawMessage]] = []
        self.new_cases: list[Case] = []
        self.changed_cases: dict[int, Case] = {}
        self.new_labs: list[LabResult] = []
        self.replaced_labs: dict[int, LabResult] = {}
        self.proposals: list[tuple[Person, Match, BatchMatcher]] = []
        self.match_keys: list[tuple[Person, frozenset[str]]] = []
        # New phones of persons matched in the batch (stored or created earlier in it).
        self.phone_keys: dict[tuple[int, str], Person] = {}
        self.created_records: dict[int, Record] = {}

    # --- the batch -----------------------------------------------------------
    def write(self, entries: Sequence[Entry]) -> None:
        accepted = [e for e in entries if e.report is not None]
        self._duplicates(accepted)
        fresh = [e for e in accepted if not e.state]
        self._rejected([e for e in entries if e.rejected is not None])
        if fresh:
            matcher = BatchMatcher(self.model)
            records = matcher.prepare(
                [e.report.patient for e in fresh if e.report],
                [unpack_record(e.packed_record) if e.packed_record else None for e in fresh],
            )
            self._prefetch(matcher, fresh)
            for entry, record in zip(fresh, records, strict=True):
                self._accept(entry, matcher, record)
        self._insert()

    # The ``__any`` lookups get sets: Django walks a list parameter value by
    # value to resolve expressions, which for a batch's thousands of keys costs
    # more than the query; a set goes to the driver as one array (core/lookups.py).
    def _duplicates(self, accepted: list[Entry]) -> None:
        wanted = [key for e in accepted for key in e.keys]
        known = set(
            IngestKey.objects.filter(key__any=frozenset(wanted)).values_list("key", flat=True)
        )
        for entry in accepted:
            if any(key in known for key in entry.keys):
                entry.state = MessageState.DUPLICATE
            else:
                known.update(entry.keys)  # a later copy in this batch is a duplicate

    def _rejected(self, rejected: list[Entry]) -> None:
        # The same bad message sent again is kept once, with its reason: the
        # newest stored copy (the per-message path's ``.first()``) stands.
        stored: dict[str, RawMessage] = {}
        digests = {e.digest for e in rejected}
        if digests:
            for raw in RawMessage.objects.filter(
                sha256__any=frozenset(digests), state=MessageState.REJECTED
            ).order_by("received_at", "id"):
                stored[raw.sha256] = raw
        for entry in rejected:
            entry.state = MessageState.REJECTED
            raw = stored.get(entry.digest)
            if raw is None:
                assert entry.rejected is not None
                raw = stored[entry.digest] = self._raw(entry, None, MessageState.REJECTED)
                raw.error = entry.rejected.reason
                raw.control_id = entry.rejected.control_id[:200]
                self.raws.append(raw)
            entry.raw = raw

    def _raw(self, entry: Entry, report: LabReport | None, state: str) -> RawMessage:
        return new_instance(
            RawMessage,
            {
                "format": self.fmt_name,
                "source": self.source,
                "source_name": self.source_name,
                "content": entry.item.text,
                "sha256": entry.digest,
                "position": entry.item.index,
                "control_id": (report.control_id if report else "")[:200],
                "sending_facility": (report.sending_facility if report else "")[:200],
                "state": state,
                "processed_at": self.now,
            },
        )

    # --- what the batch could touch ---------------------------------------------
    def _prefetch(self, matcher: BatchMatcher, fresh: list[Entry]) -> None:
        stored = {p.pk: p for p in matcher.known.persons.values() if p.pk}
        ids = list(stored)
        reports = [e.report for e in fresh if e.report]
        values = {i.value[:100] for r in reports for i in r.patient.identifiers if i.value}
        self.id_triples: set[tuple[str, str, str]] = set()
        self.id_pairs: set[tuple[str, str]] = set()
        for authority, type_code, value in PersonIdentifier.objects.filter(
            value__any=frozenset(values)
        ).values_list("authority", "type_code", "value"):
            self.id_triples.add((authority, type_code, value))
            self.id_pairs.add((authority, value))
        self.held_points: set[tuple[int, str, str]] = set(
            ContactPoint.objects.filter(person_id__any=frozenset(ids)).values_list(
                "person_id", "kind", "value"
            )
        )
        # Cases per (person, disease), oldest episode first; keyed by the
        # Person object the matcher hands out (one object per person).
        self.cases: dict[tuple[int, int], list[Case]] = defaultdict(list)
        case_ids = []
        for case in Case.objects.filter(person_id__any=frozenset(ids)).order_by("episode"):
            self.cases[(id(stored[case.person_id]), case.disease_id)].append(case)
            case_ids.append(case.pk)
        self.positives: dict[int, set[Token]] = defaultdict(set)
        self.case_of_lab: dict[Token, int] = {}
        by_pk = {c.pk: c for group in self.cases.values() for c in group}
        for case_id, lab_id in (
            LabResult.objects.filter(
                case_id__any=frozenset(case_ids), interpretation=Interpretation.POSITIVE
            )
            .exclude(status=ResultStatus.CANCELLED)
            .values_list("case_id", "pk")
        ):
            token = ("db", lab_id)
            self.positives[id(by_pk[case_id])].add(token)
            self.case_of_lab[token] = id(by_pk[case_id])
        self.case_by_pk = by_pk
        self.earlier: dict[tuple[int, str, str], LabResult] = {}
        accessions = {
            r.accession[:200]
            for report in reports
            for r in report.results
            if r.accession and status_of(r.status) in REPLACING
        }
        if accessions and ids:
            for lab in LabResult.objects.filter(
                person_id__any=frozenset(ids), accession__any=frozenset(accessions)
            ).order_by("id"):
                self.earlier[_lab_key(id(stored[lab.person_id]), lab)] = lab

    # --- one message --------------------------------------------------------------
    def _accept(self, entry: Entry, matcher: BatchMatcher, record: Any) -> None:
        report = entry.report
        assert report is not None
        patient = report.patient
        written = Written()
        match = matcher.match(patient, record)
        if match.person is not None:
            person, written.person_matched = match.person, True
        else:
            person = new_person(patient, self.writer.resolver)
            person.match_keyed = True
            matcher.add(person, patient, record)
            self.persons.append(person)
            self.match_keys.append((person, matcher.keys(record)))
            self.created_records[id(person)] = record
            written.person_created = True
            if match.review:
                self.proposals.append((person, match, matcher))
        written.persons.append(person)
        added = self._enrich(person, patient, report.sending_facility, new=written.person_created)
        if written.person_matched:  # a known person's new phones are blocking keys too
            stored = matcher.known.records.get(person.pk) if person.pk else None
            self._key_new_phones(person, added, stored or self.created_records.get(id(person)))
        raw = self._raw(entry, report, MessageState.PROCESSED)
        raw.jurisdiction_id = person.jurisdiction_id
        self.raws.append(raw)
        self.ingest_keys.extend((key, raw) for key in entry.keys)
        for result in report.results:
            self._result(report, result, person, raw, written)
        entry.state, entry.raw, entry.written = MessageState.PROCESSED, raw, written

    def _enrich(
        self, person: Person, patient: Any, facility: str, *, new: bool
    ) -> list[ContactPoint]:
        """Queue the identifiers and contact points the person lacks; returns the points."""
        for authority, type_code, value in sorted(identifiers_of(patient, facility)):
            # As the per-message path: a new person takes every identifier no
            # one holds under the same type; a known one those no one holds at all.
            if (authority, type_code, value) in self.id_triples:
                continue
            if not new and (authority, value) in self.id_pairs:
                continue
            self.id_triples.add((authority, type_code, value))
            self.id_pairs.add((authority, value))
            self.identifiers.append(
                new_instance(
                    PersonIdentifier,
                    {
                        "person": person,
                        "authority": authority,
                        "type_code": type_code,
                        "value": value,
                    },
                )
            )
        added: list[ContactPoint] = []
        for rank, (kind, value) in enumerate(contact_points_of(patient), start=1):
            held = (id(person), kind, value)
            stored = (person.pk, kind, value) if person.pk else None
            if held in self.held_points or (stored and stored in self.held_points):
                continue
            self.held_points.add(held)
            added.append(
                new_instance(
                    ContactPoint, {"person": person, "kind": kind, "value": value, "rank": rank}
                )
            )
        self.points.extend(added)
        return added

    def _key_new_phones(
        self, person: Person, added: list[ContactPoint], record: Record | None
    ) -> None:
        if record is None:
            return
        for point in added:
            if point.kind == ContactKind.PHONE:
                key = phone_key(text.phone_key(point.value), record)
                if key:
                    self.phone_keys[(id(person), key)] = person

    def _result(
        self, report: LabReport, result: Any, person: Person, raw: RawMessage, written: Written
    ) -> None:
        values = self.writer.result_values(report, result, person, raw)
        earlier = None
        if values["status"] in REPLACING and values["accession"]:
            earlier = self.earlier.get(_values_key(id(person), values))
        if earlier is not None:
            # A correction or cancellation replaces the result it names.
            self.earlier.pop(_lab_key(id(person), earlier), None)
            for name, value in values.items():
                setattr(earlier, name, value)
            lab = earlier
            if lab.pk:
                self.replaced_labs[lab.pk] = lab
        else:
            lab = new_instance(LabResult, values)
            self.new_labs.append(lab)
        attached = self._case_for(lab, person, written)
        self._track_positive(lab)
        if attached is not None and self._refresh_case(attached, lab):
            written.cases_updated.append(attached)
            if attached.pk:
                self.changed_cases[attached.pk] = attached
        if lab.accession:
            self.earlier[_lab_key(id(person), lab)] = lab
        written.results.append(lab)

    def _track_positive(self, lab: LabResult) -> None:
        token: Token = ("db", lab.pk) if lab.pk else ("new", id(lab))
        previous = self.case_of_lab.pop(token, None)
        if previous is not None:
            self.positives[previous].discard(token)
        # A result without a case id can only have a new case in hand: read from
        # the instance's cache, as the descriptor would, without its exceptions.
        case = (
            self.case_by_pk.get(lab.case_id) if lab.case_id else lab._state.fields_cache.get("case")
        )
        if (
            case is not None
            and lab.interpretation == Interpretation.POSITIVE
            and lab.status != ResultStatus.CANCELLED
        ):
            self.positives[id(case)].add(token)
            self.case_of_lab[token] = id(case)

    # --- cases, as RecordWriter decides them ------------------------------------------
    def _case_for(self, lab: LabResult, person: Person, written: Written) -> Case | None:
        if lab.disease_id is None:
            return None
        day = local_day(lab.specimen_collected_at, self.writer.zone)
        profile = self.writer._profile(lab.disease_id, day)
        group = self.cases[(id(person), lab.disease_id)]
        latest = group[-1] if group else None
        classification = self.writer._classification(profile, lab)
        if latest is not None and same_episode(profile, latest, day):
            lab.case = latest
            return latest
        if classification is None or lab.interpretation != Interpretation.POSITIVE:
            return None
        episode = max((c.episode for c in group), default=0) + 1 if latest else 1
        case = new_case(person, lab, profile, classification, day, episode, self.writer.zone)
        group.append(case)
        self.new_cases.append(case)
        lab.case = case
        written.cases_created.append(case)
        return None

    def _refresh_case(self, case: Case, lab: LabResult) -> bool:
        positives = bool(self.positives.get(id(case)))
        classification = self.writer.positive_class(case, lab)
        return refresh_case(case, classification, positives, lab, self.writer.zone)

    # --- the writes -----------------------------------------------------------------
    def _insert(self) -> None:
        insert(self.persons)
        keys = {(p.pk, key) for p, keys in self.match_keys for key in keys}
        keys |= {(p.pk, key) for (_, key), p in self.phone_keys.items()}
        insert_rows(PersonMatchKey, ("person", "key"), sorted(keys))
        # Identifiers and contact points were checked against the database and
        # the batch: a clash now is a concurrent importer, and the batch falls
        # back to the per-message path.
        insert(self.identifiers)
        insert(self.points)
        insert(self.raws)
        insert_rows(IngestKey, ("key", "raw_message"), [(k, raw.pk) for k, raw in self.ingest_keys])
        insert(self.new_cases)
        if self.changed_cases:
            for case in self.changed_cases.values():
                case.updated_at = self.now
            Case.objects.bulk_update(
                list(self.changed_cases.values()),
                ["classification", "status", "closed_at", "specimen_date", "updated_at"],
            )
        insert(self.new_labs)
        if self.replaced_labs:
            fields = [f.name for f in LabResult._meta.concrete_fields if not f.primary_key]
            LabResult.objects.bulk_update(list(self.replaced_labs.values()), fields)
        for person, match, matcher in self.proposals:
            # Candidates may be persons of this batch: saved by now, so resolvable.
            propose(person.pk, match, matcher)


def _lab_key(person: int, lab: LabResult) -> tuple[int, str, str]:
    test = ("l" + lab.test_loinc) if lab.test_loinc else ("c" + lab.test_code)
    return (person, lab.accession, test)


def _values_key(person: int, values: dict[str, Any]) -> tuple[int, str, str]:
    loinc = values["test_loinc"]
    return (person, values["accession"], ("l" + loinc) if loinc else ("c" + values["test_code"]))
