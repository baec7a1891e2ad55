"""The ingest pipeline end to end: exactly once, case rules, corrections, rejections."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from epitrace.accounts.scope import system_user
from epitrace.cases.models import Case
from epitrace.labs.ingest.files import import_files
from epitrace.labs.ingest.formats import get_format
from epitrace.labs.ingest.pipeline import Pipeline, Summary, reprocess
from epitrace.labs.ingest.report import RawItem
from epitrace.labs.ingest.synthetic import MessageFactory, SyntheticPerson, batch_file
from epitrace.labs.models import IngestKey, LabResult, RawMessage
from epitrace.people.models import Person
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=-5))
DAY = dt.datetime(2026, 3, 2, 9, 30, tzinfo=TZ)
LAB = ("07D0000101", "State Public Health Laboratory")
TESTDATA = Path(__file__).resolve().parents[4].parent / "shared" / "testdata"


def person(**changes: object) -> SyntheticPerson:
    base = SyntheticPerson(
        family="Alvarez",
        given="Maria",
        birth=dt.date(1980, 5, 17),
        sex="F",
        street="12 Elm Street",
        city="Springfield",
        state="XS",
        postcode="06100",
        phone="8605550142",
        mrn="MRN1000001",
    )
    return SyntheticPerson(**{**base.__dict__, **changes})


def ingest(*texts: str) -> Summary:
    pipeline = Pipeline(actor=system_user(), source="test")
    items = [RawItem(i, t) for i, t in enumerate(texts, start=1)]
    list(pipeline.run(items, get_format("hl7"), "test.hl7"))
    return pipeline.summary


def oru(
    factory: MessageFactory,
    who: SyntheticPerson,
    *,
    positive: bool,
    when: dt.datetime = DAY,
    test: str | None = None,
    status: str = "F",
    accession: str | None = None,
) -> str:
    text = factory.message(who, positive=positive, collected=when, lab=LAB)
    if test:
        text = _swap_test(text, test)
    if status != "F":
        obx = next(s for s in text.split("\r") if s.startswith("OBX"))
        fields = obx.split("|")
        fields[11] = status
        text = text.replace(obx, "|".join(fields))
    if accession:
        text = text.replace(f"ACC{factory.count:010d}", accession)
    return text


def _swap_test(text: str, loinc_and_name: str) -> str:
    for loinc in ("94500-6", "94309-2", "94558-4", "95209-3"):
        if f"|{loinc}^" in text:
            old = next(s for s in text.split("|") if s.startswith(f"{loinc}^"))
            return text.replace(old, loinc_and_name)
    return text


def test_a_positive_opens_a_case_and_a_second_import_adds_nothing() -> None:
    factory = MessageFactory(seed=1)
    text = oru(factory, person(), positive=True, test="94500-6^SARS-CoV-2 RNA NAA+probe^LN")
    first = ingest(text)
    assert (first.received, first.accepted, first.results, first.cases_created) == (1, 1, 1, 1)
    assert first.persons_created == 1
    case = Case.objects.get()
    assert (case.classification, case.status, case.specimen_date) == (
        "confirmed",
        "open",
        DAY.date(),
    )
    lab = LabResult.objects.get()
    assert (lab.test_loinc, lab.test_class, lab.interpretation, lab.status) == (
        "94500-6",
        "pcr",
        "positive",
        "final",
    )
    assert lab.specimen_collected_at == DAY
    assert lab.specimen_utc_offset == -300
    again = ingest(text)
    assert (again.received, again.accepted, again.duplicates) == (1, 0, 1)
    assert LabResult.objects.count() == 1
    assert RawMessage.objects.count() == 1


def test_the_same_content_under_another_control_id_is_a_duplicate() -> None:
    factory = MessageFactory(seed=2)
    text = oru(factory, person(), positive=False)
    control = text.split("\r")[0].split("|")[9]
    ingest(text)
    assert ingest(text.replace(control, "RESENT-0001")).duplicates == 1
    assert LabResult.objects.count() == 1


def test_negatives_and_unprofiled_tests_open_nothing() -> None:
    factory = MessageFactory(seed=3)
    flu = "92142-9^Influenza virus A RNA NAA+probe^LN"
    summary = ingest(
        oru(factory, person(), positive=False),
        oru(factory, person(mrn="MRN2"), positive=True, test=flu),
    )
    assert (summary.accepted, summary.results, summary.cases_created) == (2, 2, 0)
    assert LabResult.objects.filter(test_loinc="92142-9", disease__isnull=True).exists()


def test_antigen_makes_a_probable_case_that_pcr_confirms() -> None:
    factory = MessageFactory(seed=4)
    who = person()
    ingest(oru(factory, who, positive=True, test="94558-4^SARS-CoV-2 Ag IA.rapid^LN"))
    assert Case.objects.get().classification == "probable"
    later = DAY + dt.timedelta(days=1)
    summary = ingest(oru(factory, who, positive=True, when=later, test="94500-6^PCR^LN"))
    assert (summary.persons_matched, summary.cases_created, summary.cases_updated) == (1, 0, 1)
    assert Case.objects.get().classification == "confirmed"


def test_serology_opens_no_case() -> None:
    factory = MessageFactory(seed=5)
    ingest(oru(factory, person(), positive=True, test="94762-2^SARS-CoV-2 Ab IA^LN"))
    assert not Case.objects.exists()


def test_reinfection_interval_comes_from_the_profile() -> None:
    factory = MessageFactory(seed=6)
    who = person()
    ingest(oru(factory, who, positive=True, test="94500-6^PCR^LN"))
    ingest(
        oru(factory, who, positive=True, when=DAY + dt.timedelta(days=30), test="94500-6^PCR^LN")
    )
    assert Case.objects.count() == 1
    ingest(
        oru(factory, who, positive=True, when=DAY + dt.timedelta(days=120), test="94500-6^PCR^LN")
    )
    assert sorted(Case.objects.values_list("episode", flat=True)) == [1, 2]


def test_a_correction_replaces_the_result_and_may_undo_the_case() -> None:
    factory = MessageFactory(seed=7)
    who = person()
    ingest(oru(factory, who, positive=True, test="94500-6^PCR^LN", accession="ACC-42"))
    assert Case.objects.get().status == "open"
    corrected = oru(
        factory, who, positive=False, test="94500-6^PCR^LN", status="C", accession="ACC-42"
    )
    ingest(corrected)
    lab = LabResult.objects.get()
    assert (lab.status, lab.interpretation) == ("corrected", "negative")
    case = Case.objects.get()
    assert (case.status, case.classification) == ("closed", "not_a_case")


def test_a_cancelled_result_counts_for_nothing() -> None:
    factory = MessageFactory(seed=8)
    cancelled = oru(factory, person(), positive=True, test="94500-6^PCR^LN", status="X")
    ingest(cancelled)
    assert LabResult.objects.get().status == "cancelled"
    assert not Case.objects.exists()


def test_a_person_is_matched_by_identifier_or_by_exact_name_and_birth_date() -> None:
    factory = MessageFactory(seed=9)
    ingest(oru(factory, person(), positive=False))
    by_id = ingest(oru(factory, person(family="Alvarez-Ruiz"), positive=False))
    by_name = ingest(oru(factory, person(mrn="OTHER-9", family="ALVAREZ"), positive=False))
    typo = ingest(oru(factory, person(mrn="OTHER-10", birth=dt.date(1981, 5, 17)), positive=False))
    assert typo.persons_matched == 1  # one digit of the year mistyped, all else the same
    new = ingest(oru(factory, person(mrn="OTHER-11", birth=dt.date(1975, 2, 3)), positive=False))
    assert (by_id.persons_matched, by_name.persons_matched, new.persons_created) == (1, 1, 1)
    assert Person.objects.count() == 2


def test_residence_decides_the_jurisdiction() -> None:
    town = f.TownFactory.create(name="Millbrook")
    f.PostalCodeFactory.create(code="06555", town=town)
    factory = MessageFactory(seed=10)
    ingest(
        oru(factory, person(mrn="A", city="Millbrook", postcode="06555"), positive=True),
        oru(factory, person(mrn="B", given="Ana", city="Nowhere", postcode="99999"), positive=True),
        oru(factory, person(mrn="C", given="Eva", state="TX", postcode="75001"), positive=True),
    )
    statuses = dict(Person.objects.values_list("given_name", "address_status"))
    assert statuses == {"Maria": "resolved", "Ana": "unknown", "Eva": "out_of_state"}
    assert Person.objects.get(given_name="Maria").jurisdiction == town.jurisdiction
    assert Case.objects.get(person__given_name="Maria").jurisdiction == town.jurisdiction


def test_rejections_are_kept_once_with_their_reason() -> None:
    factory = MessageFactory(seed=11)
    adt = oru(factory, person(), positive=True).replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01")
    summary = ingest("this is not HL7", adt)
    assert (summary.received, summary.rejected, summary.accepted) == (2, 2, 0)
    reasons = [r["reason"] for r in summary.rejections]
    assert any("ADT" in reason for reason in reasons)
    assert [r["index"] for r in summary.rejections] == [1, 2]
    assert RawMessage.objects.filter(state="rejected").count() == 2
    ingest("this is not HL7", adt)
    assert RawMessage.objects.filter(state="rejected").count() == 2


def test_a_corrected_rejected_message_is_reprocessed_in_place() -> None:
    factory = MessageFactory(seed=12)
    good = oru(factory, person(), positive=True)
    ingest(good.replace("ORU^R01^ORU_R01", "ORM^O01"))
    raw = RawMessage.objects.get(state="rejected")
    raw.content = good
    raw.save()
    summary = reprocess([raw], actor=system_user())
    assert summary.accepted == 1
    raw.refresh_from_db()
    assert (raw.state, raw.error) == ("processed", "")
    assert RawMessage.objects.count() == 1
    assert LabResult.objects.filter(raw_message=raw).exists()


def test_import_command_reports_every_key(tmp_path: Path) -> None:
    factory = MessageFactory(seed=13)
    messages = list(factory.stream(20, positive_share=0.5))
    path = tmp_path / "batch.hl7"
    path.write_bytes(batch_file([*messages, "MSH|^~\\&|bad"]))
    (tmp_path / "empty.hl7").write_bytes(b"")
    out = StringIO()
    call_command("import", str(path), str(tmp_path / "empty.hl7"), "--json", stdout=out)
    result = json.loads(out.getvalue().splitlines()[-1])
    expected = {
        "received",
        "accepted",
        "rejected",
        "duplicates",
        "results",
        "persons_created",
        "persons_matched",
        "cases_created",
        "cases_updated",
        "rejections",
    }
    assert expected <= set(result)
    assert result["received"] == 22
    assert result["received"] == result["accepted"] + result["rejected"] + result["duplicates"]
    assert result["accepted"] == 20
    assert {(r["file"].split("/")[-1], r["index"]) for r in result["rejections"]} == {
        ("batch.hl7", 21),
        ("empty.hl7", 1),
    }
    again = import_files([path], actor=system_user())
    assert (again.accepted, again.duplicates) == (0, 20)
    assert IngestKey.objects.count() == 40  # message and content key for each


@pytest.mark.skipif(not TESTDATA.exists(), reason="shared test data not present")
def test_real_reportstream_messages_import() -> None:
    folder = TESTDATA / "elr/hl7/reportstream/src/testIntegration/resources/datatests/FHIR_to_HL7"
    summary = import_files(sorted(folder.glob("*.hl7")), actor=system_user())
    assert summary.received == summary.accepted + summary.rejected + summary.duplicates
    assert summary.accepted > 0
    assert LabResult.objects.filter(test_loinc__in=["94558-4", "97097-0", "94500-6"]).exists()
