"""Finding the person a report is about, without creating duplicates.

The importer, contact entry and the portal all call the matcher here. It
decides in three steps (docs/matching.md):

1. an identifier held under the same assigning authority: the same person;
2. otherwise the persons sharing a blocking key with the report
   (``matchkeys``) are scored with the probabilistic model
   (``linkage.stored``): at or above ``MATCH`` the best is the person;
3. between ``REVIEW`` and ``MATCH`` the report gets a new person and the
   pair goes to the possible-duplicates queue; below, a new person.

:class:`BatchMatcher` does this for many reports with a constant number of
queries: the importer prepares a batch of patients, then asks for each in
turn, registering the persons it creates so that two reports about one new
person in the same batch find each other. :class:`PersonMatcher` is the
one-report interface over it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

from epitrace.labs.ingest.report import Patient
from epitrace.people.linkage import model as fs
from epitrace.people.linkage import stored
from epitrace.people.linkage.compare import FIELDS, compare
from epitrace.people.linkage.linker import MATCH, REVIEW
from epitrace.people.linkage.record import Record, build, from_patient
from epitrace.people.matchkeys import index_pending, keys_of
from epitrace.people.merge.choices import DuplicateSource
from epitrace.people.merge.services import propose_duplicate
from epitrace.people.models import (
    ContactPoint,
    Person,
    PersonIdentifier,
    PersonMatchKey,
    not_absorbed_q,
)

# Candidates kept per report, best first: a key shared by a whole family
# (twins' birth date and family name) still yields a handful.
MAX_CANDIDATES = 20
COMPARED = (
    "pk",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "street",
    "unit",
    "city",
    "state",
    "postcode",
)


# The fields a match must not flatly contradict: a report whose given name,
# family name or birth date is "different" (or missing) from a person's is at
# most a possible duplicate, however well the rest agrees. Households share
# everything else, and a false merge mixes two people's health records; a
# missed one costs a duplicate the queue can merge.
IDENTITY = tuple(
    i for i, spec in enumerate(FIELDS) if spec.name in ("given_name", "family_name", "birth_date")
)


_DIFFERENT = [spec.levels.index("different") for spec in FIELDS]


@dataclass(frozen=True)
class Candidate:
    person_id: int
    probability: float
    explanation: fs.Explanation | None  # only for grey-zone candidates, which are queued
    identity_agrees: bool = True


@dataclass(frozen=True)
class Match:
    person: Person | None
    rule: str  # "identifier", "probabilistic" or "none"
    probability: float = 0.0
    # Grey-zone candidates: the report is a new person, these may be the same.
    review: tuple[Candidate, ...] = ()


@dataclass
class _Known:
    """Persons the batch may match: fetched from the database or created in it."""

    persons: dict[int, Person] = field(default_factory=dict)
    records: dict[int, Record] = field(default_factory=dict)
    by_key: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_identifier: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))


class BatchMatcher:
    """Match many patients with a constant number of queries.

    ``prepare`` fetches every person the batch could match; ``match`` then
    decides one patient at a time in memory; ``add`` registers a person the
    caller created for a patient (its ``pk`` may still be unset: the
    object is what later reports match).
    """

    def __init__(self, model: fs.Model | None = None) -> None:
        # A lab report names whoever it names: the matcher looks across the
        # whole state, whoever sent it (callers decide what to show).
        self.model = model or importer_model()
        self.known = _Known()
        self._new: list[Person] = []  # persons created in this batch, not saved yet
        # Blocking keys by id() of a record; the record is kept so the id stays its own.
        self._keys: dict[int, tuple[Record, frozenset[str]]] = {}

    def prepare(
        self, patients: Sequence[Patient], records: Sequence[Record | None] = ()
    ) -> list[Record]:
        """Fetch the candidates of ``patients``; returns their records, in order.

        ``records`` may bring the patients' records already built (the
        importer's parsing workers build them): None or absent ones are built here.
        """
        index_pending()
        given = list(records) + [None] * (len(patients) - len(records))
        built = [
            record if record is not None else from_patient(str(i), p)
            for i, (p, record) in enumerate(zip(patients, given, strict=True))
        ]
        wanted_keys = {key for record in built for key in self.keys(record)}
        wanted_ids = {
            (i.authority, i.value)
            for p in patients
            for i in p.identifiers
            if i.value and i.authority
        }
        ids: set[int] = set()
        if wanted_keys:
            for person_id, key in PersonMatchKey.objects.filter(
                key__any=frozenset(wanted_keys)
            ).values_list("person_id", "key"):
                self.known.by_key[key].add(person_id)
                ids.add(person_id)
        if wanted_ids:
            values = {value for _, value in wanted_ids}
            for person_id, authority, value in PersonIdentifier.objects.filter(
                value__any=frozenset(values)
            ).values_list("person_id", "authority", "value"):
                if (authority, value) in wanted_ids:
                    self.known.by_identifier[(authority, value)].add(person_id)
                    ids.add(person_id)
        self._fetch(ids - self.known.persons.keys())
        return built

    def keys(self, record: Record) -> frozenset[str]:
        """``keys_of(record)``, computed once per record of the batch."""
        found = self._keys.get(id(record))
        if found is None or found[0] is not record:
            found = self._keys[id(record)] = (record, frozenset(keys_of(record)))
        return found[1]

    def _fetch(self, ids: set[int]) -> None:
        if not ids:
            return
        people = Person.objects.filter(pk__any=frozenset(ids), purged_at__isnull=True).filter(
            not_absorbed_q()
        )
        phones: dict[int, list[str]] = defaultdict(list)
        for person_id, value in ContactPoint.objects.filter(
            person_id__any=frozenset(ids), kind="phone"
        ).values_list("person_id", "value"):
            phones[person_id].append(value)
        identifiers: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for person_id, authority, value in PersonIdentifier.objects.filter(
            person_id__any=frozenset(ids)
        ).values_list("person_id", "authority", "value"):
            identifiers[person_id].append((authority, value))
        for person in people:
            self.known.persons[person.pk] = person
            self.known.records[person.pk] = _record(
                person, phones[person.pk], identifiers[person.pk]
            )

    def match(self, patient: Patient, record: Record) -> Match:
        by_identifier = self._by_identifier(patient)
        if by_identifier is not None:
            return Match(by_identifier, "identifier", 1.0)
        scored = self._score(record)
        sure = [c for c, _ in scored if c.probability >= MATCH and c.identity_agrees]
        if sure:
            best = sure[0]
            return Match(self._person(best.person_id), "probabilistic", best.probability)
        # Only a grey-zone candidate goes to the review queue, with why.
        review = tuple(
            replace(c, explanation=self.model.explain(pattern))
            for c, pattern in scored
            if c.probability >= REVIEW
        )
        return Match(None, "none", scored[0][0].probability if scored else 0.0, review)

    def add(self, person: Person, patient: Patient, record: Record) -> None:
        """Register a person created for ``patient`` (saved or not yet)."""
        # Persons created in this batch have no pk yet: negative handles.
        handle = person.pk or -(len(self._new) + 1)
        if not person.pk:
            self._new.append(person)
        self.known.persons[handle] = person
        self.known.records[handle] = record
        for key in self.keys(record):
            self.known.by_key[key].add(handle)
        for identifier in patient.identifiers:
            if identifier.value and identifier.authority:
                self.known.by_identifier[(identifier.authority, identifier.value)].add(handle)

    def _person(self, handle: int) -> Person:
        return self.known.persons[handle]

    def _by_identifier(self, patient: Patient) -> Person | None:
        found: set[int] = set()
        for identifier in patient.identifiers:
            if identifier.value and identifier.authority:
                # Authority and value decide; the type is often missing or guessed.
                found |= self.known.by_identifier.get(
                    (identifier.authority, identifier.value), set()
                )
        live = [h for h in found if h in self.known.persons]
        if not live:
            return None
        # The oldest record holding it; persons of this batch come after stored ones.
        return self._person(min(live, key=lambda h: (h < 0, abs(h))))

    def _score(self, record: Record) -> list[tuple[Candidate, fs.Pattern]]:
        """Candidates best first, each with its comparison pattern (for explaining)."""
        handles: set[int] = set()
        for key in self.keys(record):
            handles |= self.known.by_key.get(key, set())
        found = []
        for handle in handles:
            other = self.known.records.get(handle)
            if other is None:
                continue  # purged or absorbed: never matched
            pattern = compare(record, other)
            # explain()'s posterior, cached per pattern.
            probability = self.model.probability(pattern)
            agrees = all(pattern[f] not in (FIELDS[f].missing, _DIFFERENT[f]) for f in IDENTITY)
            found.append((Candidate(handle, probability, None, agrees), pattern))
        # Best first; between equals the oldest record.
        found.sort(key=lambda c: (-c[0].probability, c[0].person_id < 0, abs(c[0].person_id)))
        return found[:MAX_CANDIDATES]

    def resolve(self, candidate: Candidate) -> int | None:
        """The database id of a candidate (None for one not saved yet)."""
        return self.known.persons[candidate.person_id].pk


class PersonMatcher:
    """One report at a time (contact entry, the portal, a corrected message)."""

    def __init__(self, actor: object | None = None) -> None:
        self.actor = actor  # kept for the callers' audit; matching looks state-wide
        self._model: fs.Model | None = None

    def match(self, patient: Patient) -> Match:
        if self._model is None:
            self._model = importer_model()
        batch = BatchMatcher(self._model)
        (record,) = batch.prepare([patient])
        return batch.match(patient, record)


def importer_model() -> fs.Model:
    """The stored model, restated for the persons in the database now."""
    return stored.default().for_population(Person.objects.filter(purged_at__isnull=True).count())


def propose(
    person_id: int,
    match: Match,
    batch: BatchMatcher | None = None,
    source: str = DuplicateSource.IMPORT,
) -> int:
    """Queue the grey-zone candidates of a record that became ``person_id``
    (``source``: where it came in, for the queue)."""
    queued = 0
    for candidate in match.review:
        other = batch.resolve(candidate) if batch else candidate.person_id
        if other is None or other == person_id:
            continue
        assert candidate.explanation is not None  # every grey-zone candidate has one
        found = propose_duplicate(
            person_id,
            other,
            round(candidate.probability, 6),
            asdict(candidate.explanation),
            source,
        )
        queued += found is not None
    return queued


def _record(person: Person, phones: list[str], identifiers: list[tuple[str, str]]) -> Record:
    return build(
        str(person.pk),
        given_name=person.given_name,
        family_name=person.family_name,
        birth_date=person.birth_date,
        sex=person.sex,
        phones=phones,
        street=person.street,
        unit=person.unit,
        city=person.city,
        postcode=person.postcode,
        state=person.state,
        identifiers=identifiers,
    )
