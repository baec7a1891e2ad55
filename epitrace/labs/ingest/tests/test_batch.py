"""The set-based batch path against the per-message path: same input, same database.

The batch writer (``batch.py``) re-implements the per-message decisions in
memory for speed. These tests send one corpus through each path, starting
from the same database, and compare everything stored, by natural keys
(ids differ between the two runs): persons, identifiers, contact points,
raw messages, results, cases, and the summaries.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from epitrace.accounts.scope import system_user
from epitrace.cases.models import Case
from epitrace.labs.ingest import batch as batch_module
from epitrace.labs.ingest.formats import get_format
from epitrace.labs.ingest.hl7 import split_hl7
from epitrace.labs.ingest.pipeline import Pipeline, Summary
from epitrace.labs.ingest.report import RawItem
from epitrace.labs.ingest.synthetic import MessageFactory
from epitrace.labs.ingest.tests.test_pipeline import DAY, oru, person
from epitrace.labs.models import IngestKey, LabResult, RawMessage
from epitrace.people.models import ContactPoint, Person, PersonIdentifier, PersonMatchKey

pytestmark = pytest.mark.django_db(transaction=False)
HL7 = Path(__file__).resolve().parents[4].parent / "shared" / "testdata" / "elr" / "hl7"
PCR = "94500-6^SARS-CoV-2 RNA NAA+probe^LN"
ANTIGEN = "94558-4^SARS-CoV-2 Ag IA.rapid^LN"


class _Undo(Exception):
    pass


def _run(texts: list[str], *, batched: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Import ``texts`` one way, snapshot, and undo it all."""
    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            pipeline = Pipeline(actor=system_user(), source="test")
            items = [RawItem(i, t) for i, t in enumerate(texts, start=1)]
            fmt = get_format("hl7")
            if batched:
                outcomes = list(pipeline.run(items, fmt, "corpus.hl7"))
            else:
                outcomes = [pipeline.process(item, fmt, "corpus.hl7") for item in items]
                pipeline.flush()
            result["snapshot"] = _snapshot()
            result["summary"] = _summary(pipeline.summary)
            result["outcomes"] = [(o.state, o.control_id, o.reason) for o in outcomes]
            raise _Undo
    except _Undo:
        pass
    return result["snapshot"], {"summary": result["summary"], "outcomes": result["outcomes"]}


def _summary(summary: Summary) -> dict[str, Any]:
    return summary.as_dict()


def _person_key(p: Person) -> tuple[Any, ...]:
    return (p.given_name, p.family_name, p.birth_date, p.street, p.city, p.postcode)


def _snapshot() -> dict[str, Any]:
    persons = {p.pk: _person_key(p) for p in Person.objects.all()}
    raws = {r.pk: (r.position, r.state) for r in RawMessage.objects.all()}
    cases = {c.pk: (persons[c.person_id], c.disease_id, c.episode) for c in Case.objects.all()}
    skip = {"id", "person", "raw_message", "case", "created_at", "updated_at"}
    lab_fields = [
        f.attname
        for f in LabResult._meta.concrete_fields
        if f.name not in skip and not getattr(f, "auto_now_add", False)
    ]
    return {
        "persons": sorted(
            (
                _person_key(p),
                p.sex,
                p.jurisdiction_id,
                p.address_status,
                p.preferred_language,
                p.match_keyed,
            )
            for p in Person.objects.all()
        ),
        "match_keys": sorted((persons[k.person_id], k.key) for k in PersonMatchKey.objects.all()),
        "identifiers": sorted(
            (persons[i.person_id], i.authority, i.type_code, i.value)
            for i in PersonIdentifier.objects.all()
        ),
        "points": sorted(
            (persons[c.person_id], c.kind, c.value, c.rank) for c in ContactPoint.objects.all()
        ),
        "raw": sorted(
            (r.position, r.state, r.sha256, r.control_id, r.error, r.jurisdiction_id)
            for r in RawMessage.objects.all()
        ),
        "keys": sorted((k.key, raws[k.raw_message_id]) for k in IngestKey.objects.all()),
        "labs": sorted(
            (
                persons[lab.person_id],
                raws[lab.raw_message_id],
                cases.get(lab.case_id, ()),
                *(str(getattr(lab, name)) for name in lab_fields),
            )
            for lab in LabResult.objects.all()
        ),
        "cases": sorted(
            (
                persons[c.person_id],
                c.disease_id,
                c.episode,
                c.classification,
                c.status,
                c.closed_at is None,
                c.specimen_date,
                c.isolation_start,
                c.isolation_end,
                c.jurisdiction_id,
            )
            for c in Case.objects.all()
        ),
    }


def _assert_same(texts: list[str]) -> dict[str, Any]:
    batched, batched_report = _run(texts, batched=True)
    single, single_report = _run(texts, batched=False)
    for table in single:
        assert batched[table] == single[table], (table, _diff(batched[table], single[table]))
    assert batched_report == single_report
    return batched_report


def _corpus(seed: int) -> list[str]:
    """Messages that exercise every decision within one batch."""
    rng = random.Random(seed)
    factory = MessageFactory(seed=seed)
    people = [
        person(),
        person(given="Ana", mrn="MRN-ANA"),  # Maria's twin: same family, birth date, phone
        person(given="Jose", family="Diaz", birth=dt.date(1975, 1, 2), mrn="MRN-JD"),
        person(given="Lena", family="Kowalski", birth=dt.date(2001, 7, 30), mrn=""),
        person(given="Omar", family="Haddad", birth=dt.date(1990, 12, 1), mrn="MRN-OH"),
    ]
    texts: list[str] = []
    for i in range(60):
        who = rng.choice(people)
        if rng.random() < 0.3:  # the same person as a feed varies them
            who = person(**{**who.__dict__, "family": who.family.upper(), "phone": "8605550199"})
        when = DAY + dt.timedelta(days=rng.choice([0, 1, 3, 40, 120]), hours=i)
        test = rng.choice([PCR, ANTIGEN])
        texts.append(oru(factory, who, positive=rng.random() < 0.5, when=when, test=test))
    # Corrections and a cancellation of accessions sent earlier in the batch.
    texts.append(oru(factory, people[2], positive=True, test=PCR, accession="ACC-X1"))
    texts.append(oru(factory, people[2], positive=False, test=PCR, status="C", accession="ACC-X1"))
    texts.append(oru(factory, people[3], positive=True, test=PCR, accession="ACC-X2"))
    texts.append(oru(factory, people[3], positive=True, test=PCR, status="X", accession="ACC-X2"))
    texts.append(texts[5])  # an exact copy
    texts.append("MSH|^~\\&|broken")  # rejected twice, kept once
    texts.append("MSH|^~\\&|broken")
    texts.append(texts[7].replace("|P|2.5.1|", "|P|2.5.1|").replace("SYN", "RESENT"))
    return texts


def test_a_varied_batch_stores_what_one_by_one_stores() -> None:
    report = _assert_same(_corpus(1))
    assert report["summary"]["duplicates"] >= 2
    assert report["summary"]["rejected"] == 2
    assert report["summary"]["persons_matched"] > 20


def test_the_same_on_top_of_earlier_imports() -> None:
    # Persons, cases and accessions already stored: matched, refreshed, corrected.
    texts = _corpus(2)
    pipeline = Pipeline(actor=system_user(), source="test")
    first = [RawItem(i, t) for i, t in enumerate(texts[:30], start=1)]
    list(pipeline.run(first, get_format("hl7"), "earlier.hl7"))
    _assert_same(texts[30:] + _corpus(3))


@pytest.mark.skipif(not HL7.is_dir(), reason=f"shared test data not found at {HL7}")
def test_the_shared_lab_messages_store_the_same_either_way() -> None:
    texts = [
        item.text
        for path in sorted(HL7.rglob("*.hl7"))
        for item in split_hl7(path.read_bytes())
        if not item.problem
    ]
    assert len(texts) > 300
    _assert_same(texts)


def test_a_batch_the_database_refuses_goes_through_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(self: object, entries: object) -> None:
        raise IntegrityError("simulated lost race")

    texts = _corpus(4)
    expected, _ = _run(texts, batched=False)
    monkeypatch.setattr(batch_module.BatchWriter, "write", refuse)
    got, report = _run(texts, batched=True)
    assert got == expected
    assert report["summary"]["received"] == len(texts)


def _diff(a: list[Any], b: list[Any]) -> str:
    for x, y in zip(a, b, strict=False):
        if x != y:
            return "\n".join(
                f"{i}: {p!r} != {q!r}" for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q
            )
    return f"lengths {len(a)} {len(b)}"
