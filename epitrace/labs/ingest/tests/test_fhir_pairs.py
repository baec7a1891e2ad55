"""A FHIR bundle and its HL7 v2 rendering (made by ReportStream's converter)
give the same person, tests, results, statuses and specimen times.

Where the converter changed the data on the way (receiver-specific
filtering, truncation, time zones) the difference is named below, with why.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from epitrace.labs.ingest.fhir import parse_fhir_message
from epitrace.labs.ingest.report import LabReport, Rejected, Result

TESTDATA = Path(__file__).resolve().parents[4].parent / "shared" / "testdata"
FHIR_DIR = TESTDATA / "elr/fhir/reportstream"
HL7_DIR = TESTDATA / "elr/hl7/reportstream/src/testIntegration/resources/datatests/FHIR_to_HL7"
pytestmark = pytest.mark.skipif(
    not FHIR_DIR.is_dir() or not HL7_DIR.is_dir(),
    reason=f"shared test data not found at {TESTDATA}",
)
hl7 = pytest.importorskip("epitrace.labs.ingest.hl7")

PAIRS = sorted(p.stem for p in HL7_DIR.glob("*.hl7") if (FHIR_DIR / f"{p.stem}.fhir").exists())
STATUS = {"final": "F", "corrected": "C", "preliminary": "P", "cancelled": "X"}

# What ReportStream's converter changed, per pair (checked by hand in both files).
TRUNCATED_NAMES = {"sample_truncate_CA_20230406-0001"}  # HL7 names cut to field lengths
NO_FHIR_IDENTIFIER = {"sample_SR_CSVUPLOADER_20240819-0001"}  # PID-3 made up by the converter
RESULTS_MOVED_TO_NOTES = {"mars_unwanted_condition_to_notes"}  # unwanted tests became NTE
LOCAL_NAIVE_TIMES = {"sample_WA_20240719-0001"}  # times shifted to local, offset dropped
LAB_REWRITTEN = {
    "sample_MO_20240628-0001",  # test data with placeholder lab ids in OBX-15/OBX-23
    "sample_AOE_2_20230220-0001",  # OBX-15 producer id from an extension, none in FHIR
}


def both(stem: str) -> tuple[LabReport, LabReport]:
    (item,) = hl7.split_hl7((HL7_DIR / f"{stem}.hl7").read_bytes())
    return (
        parse_fhir_message((FHIR_DIR / f"{stem}.fhir").read_text(encoding="utf-8")),
        hl7.parse_hl7_message(item.text),
    )


def test_the_pairs_are_found() -> None:
    assert len(PAIRS) == 25


def test_an_order_is_rejected_in_both_forms() -> None:
    stem = "sample_OML_20230831-0001"
    (item,) = hl7.split_hl7((HL7_DIR / f"{stem}.hl7").read_bytes())
    with pytest.raises(Rejected):
        hl7.parse_hl7_message(item.text)
    with pytest.raises(Rejected, match="order"):
        parse_fhir_message((FHIR_DIR / f"{stem}.fhir").read_text(encoding="utf-8"))


@pytest.mark.parametrize("stem", [s for s in PAIRS if "OML" not in s])
def test_same_person(stem: str) -> None:
    from_fhir, from_hl7 = both(stem)
    mine, theirs = from_fhir.patient, from_hl7.patient
    for name in ("birth_date", "sex", "street", "city", "state", "postcode"):
        assert getattr(mine, name) == getattr(theirs, name), name
    if stem in TRUNCATED_NAMES:
        assert mine.family_name.startswith(theirs.family_name)
        assert mine.given_name.startswith(theirs.given_name)
    else:
        assert (mine.family_name, mine.given_name, mine.middle_name) == (
            theirs.family_name,
            theirs.given_name,
            theirs.middle_name,
        )
    assert set(mine.phones) >= set(theirs.phones)  # HL7 PID-13 may drop a work number
    if stem not in NO_FHIR_IDENTIFIER:
        first, other = mine.identifiers[0], theirs.identifiers[0]
        assert first.value == other.value
        assert first.authority.startswith(other.authority)  # CX.4 truncated for HL7 too


@pytest.mark.parametrize("stem", [s for s in PAIRS if "OML" not in s])
def test_same_results(stem: str) -> None:
    from_fhir, from_hl7 = both(stem)
    mine = from_fhir.results
    if stem in RESULTS_MOVED_TO_NOTES:
        codes = {r.test_code for r in from_hl7.results}
        mine = [r for r in mine if r.test_code in codes]
    assert len(mine) == len(from_hl7.results)
    for index, (result, other) in enumerate(zip(mine, from_hl7.results, strict=True)):
        assert _essentials(result, stem) == _essentials(other, stem), f"result {index}"


def _essentials(result: Result, stem: str) -> dict[str, object]:
    fields: dict[str, object] = {
        "test_code": result.test_code,
        "value": result.value_code or result.value,
        "status": STATUS.get(result.status, result.status),
        "accession": result.accession,
    }
    if stem not in LOCAL_NAIVE_TIMES:
        fields["collected"] = result.specimen_collected_at  # aware: compared as instants
    if stem not in LAB_REWRITTEN:
        fields["lab"] = result.performing_lab_id
    return fields


def test_same_answers_where_the_converter_kept_them() -> None:
    from_fhir, from_hl7 = both("sample_AL_20240624-0001")
    # Coded answers agree; a date answer is as sent in each format.
    assert [a for a in from_fhir.answers if a[0] != "11368-8"] == [
        a for a in from_hl7.answers if a[0] != "11368-8"
    ]


def test_envelope_of_a_pair_the_converter_left_alone() -> None:
    from_fhir, from_hl7 = both("sample_AL_20240624-0001")
    assert from_fhir.control_id == from_hl7.control_id
    assert from_fhir.sending_facility == from_hl7.sending_facility
    # Bundle.timestamp has milliseconds that MSH-7 dropped.
    assert from_fhir.sent_at is not None
    assert from_hl7.sent_at is not None
    assert from_fhir.sent_at.replace(microsecond=0) == from_hl7.sent_at


def test_nothing_else_differs_in_the_cleanest_pair() -> None:
    """The AL pair field by field: every difference left is one of format."""
    from_fhir, from_hl7 = both("sample_AL_20240624-0001")
    differing = {
        f.name
        for f in dataclasses.fields(Result)
        if getattr(from_fhir.results[0], f.name) != getattr(from_hl7.results[0], f.name)
    }
    assert differing <= {
        "test_code_system",  # http://loinc.org / LN
        "test_name",  # code.text / the LOINC name the converter looked up
        "value_type",  # CodeableConcept / CWE
        "value_code_system",  # http://snomed.info/sct / SCT
        "status",  # final / F
        "observation_id",  # Observation.id / none
        "resulted_at",  # milliseconds dropped by the converter
        "method",  # the kit name is written differently
        "specimen_received_at",
        "specimen_type",
    }
