"""Every HL7 file of the shared test data: cut, parsed or rejected with a reason,
never an exception; then the python-hl7 sample files and the ReportStream
messages checked against what the files say."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from epitrace.labs.ingest.hl7 import parse_hl7_message, split_hl7
from epitrace.labs.ingest.hl7.parse import INTERNAL_ERROR
from epitrace.labs.ingest.report import LabReport, Rejected

TESTDATA = (Path(__file__).parents[4] / ".." / "shared" / "testdata").resolve()
HL7 = TESTDATA / "elr" / "hl7"
VECTORS = HL7 / "python-hl7-vectors" / "messages"
REPORTSTREAM = HL7 / "reportstream" / "src"

pytestmark = pytest.mark.skipif(not HL7.is_dir(), reason=f"shared test data not found at {HL7}")


@dataclass
class Outcomes:
    """What became of every item cut from some files."""

    reports: list[LabReport] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # reasons
    problems: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return len(self.reports) + len(self.rejected) + len(self.problems)


def run(*files: Path) -> Outcomes:
    outcomes = Outcomes()
    for path in files:
        for item in split_hl7(path.read_bytes()):
            if item.problem:
                outcomes.problems.append(item.problem)
                continue
            try:
                outcomes.reports.append(parse_hl7_message(item.text))
            except Rejected as exc:
                outcomes.rejected.append(exc.reason)
    assert not [r for r in outcomes.rejected if r.startswith(INTERNAL_ERROR)]
    return outcomes


def hl7_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.hl7"))


# folder: (files, items, accepted, rejected, problems, results, answers)
CORPUS = {
    "nist-elr251": (18, 18, 15, 3, 0, 18, 2),
    "python-hl7-vectors": (21, 29, 1, 22, 6, 2, 0),
    "reportstream": (48, 73, 67, 6, 0, 402, 343),
    "mapping-edgecases": (263, 263, 29, 234, 0, 31, 2),
}


@pytest.mark.parametrize("folder", sorted(CORPUS))
def test_every_file_is_read_or_rejected_with_a_reason(folder: str) -> None:
    files = hl7_files(HL7 / folder)
    n_files, items, accepted, rejected, problems, results, answers = CORPUS[folder]
    outcomes = run(*files)
    assert len(files) == n_files
    assert outcomes.items == items
    assert (len(outcomes.reports), len(outcomes.rejected), len(outcomes.problems)) == (
        accepted,
        rejected,
        problems,
    )
    assert sum(len(r.results) for r in outcomes.reports) == results
    assert sum(len(r.answers) for r in outcomes.reports) == answers
    assert all(outcomes.rejected)
    assert all(outcomes.problems)


def test_every_report_names_a_test_and_a_status() -> None:
    outcomes = run(*hl7_files(HL7))
    for report in outcomes.reports:
        assert report.control_id
        assert report.message_type == "ORU^R01"
        assert all(result.test_code for result in report.results)


# --- python-hl7's sample files -------------------------------------------------

NOT_LAB = "ADT^A04 is not a lab result (ORU^R01)"
STRAY = "segments outside any message"


@pytest.mark.parametrize(
    ("name", "rejected", "problems"),
    [
        ("sample_batch.hl7", [NOT_LAB], 0),
        ("sample_batch1.hl7", [NOT_LAB] * 2, 0),
        ("sample_batch2.hl7", [NOT_LAB] * 2, 0),
        ("sample_batch3.hl7", [NOT_LAB], 0),  # BHS without BTS
        ("sample_batch4.hl7", [NOT_LAB], 0),  # BTS without BHS
        ("sample_file.hl7", [NOT_LAB], 0),
        ("sample_file1.hl7", [NOT_LAB] * 3, 0),  # two batches in one file
        ("sample_file2.hl7", [NOT_LAB] * 2, 0),
        ("sample_file3.hl7", [NOT_LAB], 0),
        ("sample_file4.hl7", [NOT_LAB], 0),
        ("sample_file5.hl7", [NOT_LAB], 0),
        ("sample_file6.hl7", [NOT_LAB], 0),
        # bad batches: envelope segments where a message goes
        ("sample_bad_batch.hl7", [], 1),  # BHS then segments with no MSH
        ("sample_bad_batch1.hl7", [NOT_LAB], 1),  # a second BHS inside a message
        ("sample_bad_file.hl7", [], 1),
        ("sample_bad_file1.hl7", [NOT_LAB], 1),
        ("sample_bad_file2.hl7", [NOT_LAB], 1),  # a second FHS inside a message
        ("sample_bad_file3.hl7", [], 1),
        ("sample_msh.hl7", ["ADT^A01 is not a lab result (ORU^R01)"], 0),
        ("rep_sample_hl7.hl7", ["no test result: no OBX with a test code (OBX-3)"], 0),
    ],
)
def test_python_hl7_samples(name: str, rejected: list[str], problems: int) -> None:
    outcomes = run(VECTORS / name)
    assert outcomes.reports == []
    assert outcomes.rejected == rejected
    assert len(outcomes.problems) == problems
    assert all(p.startswith(STRAY) for p in outcomes.problems)


def test_python_hl7_oru_sample() -> None:
    [report] = run(VECTORS / "sample_hl7.hl7").reports
    assert report.control_id == "CNTRL-3456"
    assert report.version == "2.4"
    p = report.patient
    assert (p.family_name, p.given_name, p.middle_name, p.sex) == ("EVERYWOMAN", "EVE", "E", "F")
    assert p.birth_date is None  # PID-7 "196203520" is no date
    assert (p.street, p.city, p.state, p.postcode) == (
        "153 FERNWOOD DR.",
        "STATESVILLE",
        "OH",
        "35292",
    )
    assert p.phones == ["+12063345232", "(206)752-121"]  # the second is too short: as sent
    assert [
        (r.test_code, r.value, r.units, r.reference_range, r.abnormal_flag) for r in report.results
    ] == [
        ("1554-5", "182", "mg/dl", "70_105", "H"),  # SN "^182"
        ("1553-5", "^182", "mg/dl", "70_105", "H"),  # "FN" is no HL7 type: kept as sent
    ]
    assert {r.specimen_collected_at for r in report.results} == {dt.datetime(2002, 2, 15, 7, 30)}


def test_repetitions_and_subcomponents_sample() -> None:
    [reason] = run(VECTORS / "rep_sample_hl7.hl7").rejected
    assert "OBX" in reason


# --- ReportStream --------------------------------------------------------------

FHIR_TO_HL7 = REPORTSTREAM / "testIntegration" / "resources" / "datatests" / "FHIR_to_HL7"
SMOKE = REPORTSTREAM / "test" / "resources" / "fhirengine" / "smoketest"


def tz(hours: int) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours))


def test_reportstream_batch_file_yields_all_its_messages() -> None:
    path = REPORTSTREAM / "main" / "resources" / "clitests" / "compare-test-files"
    outcomes = run(path / "test-0001-input-covid-19.hl7")
    assert len(outcomes.reports) == 20  # BTS-1 says 25: the trailer count is not trusted
    assert outcomes.rejected == outcomes.problems == []
    assert len({r.control_id for r in outcomes.reports}) == 20
    # antigen tests, half of them by the other LOINC
    assert Counter(r.results[0].test_code for r in outcomes.reports) == {
        "94558-4": 10,
        "95209-3": 10,
    }
    first = outcomes.reports[0]
    assert first.control_id == "911909"
    assert (first.patient.family_name, first.patient.given_name) == ("Koepp", "Lucio")
    assert first.patient.emails == ["dario.watsica@email.com"]
    assert (first.results[0].value_code, first.results[0].value) == ("419984006", "Inconclusive")
    assert first.results[0].specimen_collected_at == dt.datetime(2021, 6, 23, 7, 50, tzinfo=tz(-4))
    assert dict(first.answers)["95419-8"] == "Y"
    assert len(run(path / "test-0001-az-covid-19-hl7.hl7").reports) == 5


def test_reportstream_fhs_batch_of_two() -> None:
    outcomes = run(REPORTSTREAM / "test" / "hl7_test_files" / "batch_message.hl7")
    assert [r.control_id for r in outcomes.reports] == ["371784", "612092"]
    first = outcomes.reports[0]
    p = first.patient
    assert (p.family_name, p.given_name, p.middle_name) == ("Buckridge", "Kareem", "Millie")
    assert (p.birth_date, p.sex, p.race, p.ethnicity) == (dt.date(1958, 8, 10), "F", "2106-3", "U")
    assert [(i.value, i.authority, i.type_code) for i in p.identifiers] == [
        ("2a14112c-ece1-4f82-915c-7b3a8d152eda", "Avante at Ormond Beach", "PI")
    ]
    assert (p.street, p.city, p.state, p.postcode, p.county) == (
        "688 Leighann Inlet",
        "South Rodneychester",
        "TX",
        "67071",
        "48077",
    )
    # XTN.12 "17275555555" is valid; the e-mail sits in XTN.4 with no XTN.3
    assert p.phones == ["+17275555555"]
    assert p.emails == ["roscoe.wilkinson@email.com"]
    [result] = first.results
    assert (result.test_code, result.test_code_system) == ("94558-4", "LN")
    assert (result.value_code, result.value_code_system, result.value) == (
        "260415000",
        "SCT",
        "Not detected",
    )
    assert (result.status, result.abnormal_flag) == ("F", "N")
    assert result.accession == "0cba76f5-35e0-4a28-803a-2f31308aae9b"
    assert result.specimen_collected_at == dt.datetime(2021, 2, 9, 0, 0, tzinfo=tz(-6))
    assert result.specimen_type == "258500001"
    assert (result.performing_lab_id, result.performing_lab_name) == (
        "10D0876999",
        "Avante at Ormond Beach",
    )
    assert result.method == "CareStart COVID-19 Antigen test_Access Bio, Inc._EUA"
    assert result.ordering_provider == "Eddin, Husam"
    assert first.answers == [("95418-0", "Y"), ("95417-2", "Y"), ("95421-4", "N"), ("95419-8", "N")]
    assert first.sending_facility == "Avante at Ormond Beach^10D0876999"


def test_reportstream_multiplex_with_notes_for_questions() -> None:
    [report] = run(FHIR_TO_HL7 / "sample_NV_20240212-0001.hl7").reports
    assert [(r.test_code, r.value_code) for r in report.results] == [
        ("85478-6", "260373001"),
        ("85479-4", "260373001"),
        ("85477-8", "260415000"),
        ("94500-6", "260373001"),
    ]
    assert report.answers == [
        ("95419-8", "N"),
        ("82810-3", "60001007"),
        ("95418-0", "N"),
        ("95421-4", "N"),
    ]
    assert report.patient.county == "Washoe"
    assert {r.specimen_collected_at for r in report.results} == {
        dt.datetime(2024, 2, 13, 3, 18, 59, tzinfo=dt.UTC)
    }


def test_reportstream_escaped_device_name() -> None:
    [report] = run(FHIR_TO_HL7 / "sample_truncate_CA_20230406-0001.hl7").reports
    assert {r.method for r in report.results} == {
        "BD Veritor System for Rapid Detection of SARS-CoV-2 & Flu A+B*"
    }
    assert report.answers == [("11368-8", "2023-03-15"), ("95419-8", "Y")]
    assert report.patient.emails == ["george@skylight.digital"]


def test_reportstream_over_the_counter_messages() -> None:
    outcomes = run(SMOKE / "valid_mars.hl7")
    assert len(outcomes.reports) == 2
    for report in outcomes.reports:
        assert report.patient.family_name == ""  # self-test: no name sent
        assert report.patient.postcode == "02139"
        [result] = report.results
        assert (result.test_code, result.value_code) == ("94558-4", "260373001")
        # SPM-17 (with offset) wins over OBR-7 (without)
        assert result.specimen_collected_at == dt.datetime(2024, 4, 3, 12, 0, tzinfo=tz(-4))
        assert report.answers == [("35659-2", "24")]  # OBX-29 QST


def test_reportstream_many_observations() -> None:
    [report] = run(
        REPORTSTREAM
        / "testIntegration"
        / "resources"
        / "datatests"
        / "HL7_to_FHIR"
        / "sample_oru_20241015-001.hl7"
    ).reports
    assert len(report.results) == 149
    statuses = Counter(r.status for r in report.results)
    assert statuses == {"F": 149}


def test_reportstream_orders_are_rejected() -> None:
    for name in ("hl7_2.6.hl7", "hl7_2.7.hl7", "hl7_with_birth_time.hl7"):
        path = REPORTSTREAM / "test" / "resources" / "fhirengine" / "engine" / name
        assert run(path).rejected == ["ORM^O01 is not a lab result (ORU^R01)"]
