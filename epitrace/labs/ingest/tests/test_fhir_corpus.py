"""Every FHIR file of the shared test data: split and parsed, nothing but
``Rejected`` escaping, and the documented outcome for each folder."""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

import pytest

from epitrace.labs.ingest.fhir import parse_fhir_message, split_fhir
from epitrace.labs.ingest.report import LabReport, Rejected

TESTDATA = Path(__file__).resolve().parents[4].parent / "shared" / "testdata"
pytestmark = pytest.mark.skipif(
    not TESTDATA.is_dir(), reason=f"shared test data not found at {TESTDATA}"
)

FHIR_FILES = sorted(
    p
    for folder in ("elr/fhir", "synthea")
    for p in (TESTDATA / folder).rglob("*")
    if p.suffix in {".json", ".fhir"}
)


@functools.cache
def outcome(path: Path) -> list[LabReport | Rejected]:
    found: list[LabReport | Rejected] = []
    for item in split_fhir(path.read_bytes()):
        assert not item.problem, f"{path.name}: {item.problem}"
        try:
            found.append(parse_fhir_message(item.text))
        except Rejected as exc:
            found.append(exc)
    assert all(f.reason for f in found if isinstance(f, Rejected))
    return found


@pytest.mark.parametrize("path", FHIR_FILES, ids=lambda p: p.name[:60])
def test_every_file_parses_or_is_rejected_with_a_reason(path: Path) -> None:
    assert len(outcome(path)) == 1  # one document, one message


def counts(folder: str) -> Counter[str]:
    tally: Counter[str] = Counter()
    for path in FHIR_FILES:
        if path.parent.name == folder:
            for found in outcome(path):
                tally["rejected" if isinstance(found, Rejected) else "parsed"] += 1
    return tally


def test_reportstream_folder_parses_all_but_the_order() -> None:
    assert counts("reportstream") == {"parsed": 27, "rejected": 1}


def test_home_lab_report_folder_parses_the_two_bundles() -> None:
    # The 25 lone resources are rejected: none is a report on its own (the
    # Observations point at a Patient that is not in them).
    assert counts("home-lab-report") == {"parsed": 2, "rejected": 25}


def test_synthea_folder_reports_the_patients_with_labs() -> None:
    # 9 patients with lab results; Roland928 has none; the hospital and
    # practitioner bundles hold no patient at all.
    assert counts("synthea") == {"parsed": 9, "rejected": 3}


def reason(name: str) -> str:
    path = next(p for p in FHIR_FILES if p.name == name)
    (found,) = outcome(path)
    assert isinstance(found, Rejected), f"{name} was accepted"
    return found.reason


def test_an_order_bundle_is_rejected_as_an_order() -> None:
    text = reason("sample_OML_20230831-0001.fhir")
    assert "O21" in text
    assert "order" in text


def test_a_lone_observation_without_its_patient_is_rejected() -> None:
    text = reason("Observation-observation-at-home-in-vitro-test-result-covid-s-trevor.json")
    assert "Patient/patient-at-home-in-vitro-test-stacy-trevor" in text
    assert "not in the message" in text


def test_a_lone_answer_is_not_a_result() -> None:
    text = reason("Observation-observation-patient-answer-pregnancy-s-trevor.json")
    assert "order-entry questions" in text


def test_a_lone_diagnostic_report_without_its_observations_is_rejected() -> None:
    text = reason("DiagnosticReport-diagnosticreport-at-home-in-vitro-results-covid-s-trevor.json")
    assert "Observation/observation-at-home-in-vitro-test-result-covid-s-trevor" in text


@pytest.mark.parametrize(
    "name",
    [
        "Patient-patient-at-home-in-vitro-test-stacy-trevor.json",
        "Specimen-specimen-swab-internal-nose-s-trevor.json",
        "MessageHeader-messageheader-at-home-in-vitro-test-s-trevor.json",
        "Device-device-hometest1-s-trevor.json",
    ],
)
def test_other_lone_resources_are_not_reports(name: str) -> None:
    assert "is not a lab report" in reason(name)


def test_a_synthea_patient_without_labs_is_rejected() -> None:
    name = next(p.name for p in FHIR_FILES if p.name.startswith("Roland928"))
    assert "no laboratory result" in reason(name)


def test_synthea_facility_bundles_are_rejected() -> None:
    name = next(p.name for p in FHIR_FILES if p.name.startswith("hospitalInformation"))
    assert "no laboratory result" in reason(name)
