"""Field by field: what the FHIR parser reads from real bundles.

Expected values were read off the JSON files by hand (ReportStream's
SimpleReport and RADx bundles, the HL7 at-home test IG's examples, Synthea).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from epitrace.labs.ingest.fhir import parse_fhir_message
from epitrace.labs.ingest.report import Identifier, LabReport

TESTDATA = Path(__file__).resolve().parents[4].parent / "shared" / "testdata"
pytestmark = pytest.mark.skipif(
    not TESTDATA.is_dir(), reason=f"shared test data not found at {TESTDATA}"
)
UTC = dt.UTC
EST = dt.timezone(dt.timedelta(hours=-5))


def parse(relative: str) -> LabReport:
    return parse_fhir_message((TESTDATA / relative).read_text(encoding="utf-8"))


def reportstream(name: str) -> LabReport:
    return parse(f"elr/fhir/reportstream/{name}")


def home(name: str) -> LabReport:
    bundle = f"Bundle-bundle-at-home-in-vitro-test-results-{name}.json"
    return parse(f"elr/fhir/home-lab-report/{bundle}")


def synthea(prefix: str) -> LabReport:
    (path,) = (TESTDATA / "synthea").glob(f"{prefix}_*.json")
    return parse_fhir_message(path.read_text(encoding="utf-8"))


class TestSimpleReportAlabama:
    report = staticmethod(lambda: reportstream("sample_AL_20240624-0001.fhir"))

    def test_envelope(self) -> None:
        report = self.report()
        assert report.format == "fhir"
        assert report.control_id == "0bab3f94-feb4-4915-939d-1adc5da201f3"  # Bundle.identifier
        assert report.sending_facility == "Testing Lab^12D4567890"  # MessageHeader.sender
        assert report.sending_application == "PRIME SimpleReport"
        assert report.message_type == "message"
        assert report.version == "R4"
        assert report.sent_at == dt.datetime(2024, 6, 5, 18, 55, 1, 277000, tzinfo=UTC)

    def test_patient(self) -> None:
        patient = self.report().patient
        assert patient.identifiers == [
            # No system: the managing organization issued it (PID-3.4 in the HL7 twin).
            Identifier("7c0d1de9-270e-4d9c-a4ec-af92560cec67", "Testing Lab", "")
        ]
        assert (patient.family_name, patient.given_name, patient.middle_name) == (
            "Granger",
            "Hermione",
            "",
        )
        assert patient.birth_date == dt.date(1990, 7, 21)
        assert patient.sex == "F"
        assert (patient.race, patient.ethnicity) == ("2028-9", "N")
        assert (patient.street, patient.city, patient.state, patient.postcode) == (
            "53 Buttonwood Ave",
            "Brooklyn",
            "AL",
            "11224",
        )
        assert patient.country == "USA"
        assert patient.phones == ["+12125551234"]

    def test_result(self) -> None:
        (result,) = self.report().results
        assert (result.test_code, result.test_code_system) == ("94500-6", "http://loinc.org")
        assert result.test_name == "COVID-19"
        assert (result.value, result.value_code) == ("Detected", "260373001")
        assert result.value_code_system == "http://snomed.info/sct"
        assert result.value_type == "CodeableConcept"
        assert result.abnormal_flag == "A"
        assert result.status == "final"
        assert result.observation_id == "5ab37a34-59f5-421f-92bd-baffaf26bb72"
        assert result.accession == "0bab3f94-feb4-4915-939d-1adc5da201f3"  # the report's id
        assert result.specimen_collected_at == dt.datetime(2024, 6, 5, 18, 39, 58, tzinfo=UTC)
        assert result.specimen_type == "258500001"  # SNOMED CT nasopharyngeal swab
        assert result.resulted_at == dt.datetime(2024, 6, 5, 18, 54, 58, 594000, tzinfo=UTC)
        assert (result.performing_lab_id, result.performing_lab_name) == (
            "12D4567890",
            "Testing Lab",
        )
        assert result.ordering_facility == "Testing Lab"
        assert result.ordering_provider == "McTester, Phil"
        assert result.method == "CareStart COVID-19 MDx RT-PCR"

    def test_order_entry_answers_are_not_results(self) -> None:
        assert self.report().answers == [
            ("95419-8", "Y"),
            ("11368-8", "2024-06-01"),
            ("82810-3", "60001007"),
            ("95418-0", "Y"),
            ("95421-4", "Y"),
        ]


def test_corrected_results_keep_their_status() -> None:
    report = reportstream("sample_VI_20231228-0001.fhir")
    assert [r.test_code for r in report.results] == ["94500-6", "85477-8", "85479-4", "85478-6"]
    assert {r.status for r in report.results} == {"corrected"}
    assert [r.value_code for r in report.results] == [
        "260415000",
        "260373001",
        "260373001",
        "260373001",
    ]
    assert report.patient.middle_name == "Charles"  # given[1]


def test_several_observations_in_one_report() -> None:
    report = reportstream("sample_SR_1_20230302-0001-missing-data.fhir")
    assert [(r.test_code, r.value) for r in report.results] == [
        ("80383-3", "Not detected"),
        ("80382-5", "Detected"),
        ("97099-6", "Not detected"),
    ]
    # The Specimen has no collection time and the Observations no effective
    # time: the DiagnosticReport's effective time stands for it.
    assert {r.specimen_collected_at for r in report.results} == {
        dt.datetime(2023, 3, 30, 12, 32, 36, tzinfo=UTC)
    }
    patient = report.patient
    assert (patient.family_name, patient.given_name, patient.middle_name) == (
        "Haiti",
        "Lula",
        "Mendez",
    )
    assert patient.emails == ["Garth.Gutmann@gmail.com"]
    assert report.answers == [("95419-8", "N")]  # a ServiceRequest's supportingInfo


def test_long_values_are_kept_whole() -> None:
    # ReportStream truncates these for HL7; the report keeps what was sent.
    report = reportstream("sample_truncate_CA_20230406-0001.fhir")
    assert report.patient.family_name.endswith("Too Long truncatethis")
    assert report.patient.given_name == "JosephineNameTooLongTruncateTesttruncatethis"
    assert report.patient.sex == "U"
    assert report.patient.birth_date == dt.date(2019, 1, 1)


def test_keepall_bundle_filler_accession_and_empty_animal_extension() -> None:
    report = reportstream("sample_bundle_multiple_observations_keepall.fhir")
    # The Patient carries an empty patient-animal extension: no species, a person.
    assert report.patient.species == ""
    assert (report.patient.family_name, report.patient.given_name) == ("Bunny", "Bugs")
    (result,) = report.results  # four AOE answers are marked laboratory too
    assert result.test_code == "94558-5"
    assert result.accession == "1234d1d1-95fe-462c-8ac6-46728dba581c"  # the FILL identifier
    assert result.performing_lab_id == "05D2222542"  # an urn:oid: CLIA, prefix dropped
    assert len(report.answers) == 4


def test_radx_bundle_with_five_reports() -> None:
    report = reportstream("sample_RADx_MARS_20230406-0002.fhir")
    assert len(report.results) == 26
    assert report.results[0].test_code == "600-7"
    assert report.results[0].alternate_test_code == "BCEXT"
    assert report.results[0].alternate_test_code_system == "L"
    assert report.results[0].status == "corrected"
    # 0.5 ug/mL sent as a Ratio with no denominator, like an HL7 SN value.
    mic = next(r for r in report.results if r.value_type == "Ratio")
    assert (mic.value, mic.units) == ("0.5", "ug/mL")
    # Two answers are Observations whose identifier is one object, not a list.
    assert [code for code, _ in report.answers] == ["95417-2", "95418-0"]


def test_reportstream_filtered_results_leave_dangling_references() -> None:
    # ReportStream removed the Observations the receiver did not want but left
    # DiagnosticReport.result pointing at them; what is there is read.
    report = reportstream("sample_ME_20240806-0001.fhir")
    assert [r.test_code for r in report.results] == ["94500-6"]


class TestAtHomeStacyTrevor:
    report = staticmethod(lambda: home("s-trevor"))

    def test_envelope(self) -> None:
        report = self.report()
        assert report.control_id == "urn:uuid:683dde44f7664b03a20b6324f23986d8"
        assert report.sending_facility == "ACMELIMS PH"  # no sender: source.name
        assert report.sent_at == dt.datetime(2021, 1, 28, 16, 7, 15, tzinfo=EST)

    def test_patient(self) -> None:
        patient = self.report().patient
        assert patient.identifiers == [
            Identifier("P21-0000105078", "http://hospital.reliableorg.org", "MR")
        ]
        assert (patient.family_name, patient.given_name) == ("Trevor", "Stacy")
        assert patient.birth_date == dt.date(1988, 1, 21)
        assert patient.sex == "F"
        assert (patient.race, patient.ethnicity) == ("2054-5", "UNK")  # US Core ombCategory
        assert (patient.city, patient.county, patient.state, patient.postcode) == (
            "Palatine",
            "Cook",
            "IL",
            "60067",
        )
        assert patient.phones == ["+19472260356"]

    def test_result_keeps_the_senders_offsets(self) -> None:
        (result,) = self.report().results
        assert (result.test_code, result.value_code, result.value) == (
            "95209-3",
            "260373001",
            "Detected",
        )
        # Specimen.collection wins over Observation.effective and the report's
        # effective time (11:45:33+11:00).
        assert result.specimen_collected_at == dt.datetime(2021, 1, 28, 16, 6, 3, tzinfo=EST)
        assert isinstance(result.specimen_collected_at, dt.datetime)
        assert result.specimen_collected_at.utcoffset() == dt.timedelta(hours=-5)
        assert result.resulted_at == dt.datetime(2021, 1, 28, 16, 6, 21, tzinfo=EST)
        assert result.specimen_type == "445297001"
        assert result.method == "Acme COVID-19 Home Test_Acme Limited"  # the Device

    def test_patient_answers(self) -> None:
        assert dict(self.report().answers) == {
            "95419-8": "Y",
            "77974-4": "N",
            "95421-4": "Y",
            "95418-0": "N",
            "95417-2": "N",
            "82810-3": "60001007",
        }


def test_at_home_patricia_noelle() -> None:
    report = home("p-noelle")
    patient = report.patient
    assert patient.identifiers == [Identifier("900", "http://hospital.smarthealthit.org", "MR")]
    assert (patient.family_name, patient.given_name) == ("Noelle", "Patricia")
    assert patient.birth_date == dt.date(1954, 10, 17)
    assert patient.emails == ["Patricia.Noelle@example.com"]
    assert patient.phones == ["555-555-2003"]  # not a valid number: kept as sent
    # The example repeats the result entry; it is one result.
    (result,) = report.results
    assert result.observation_id == "observation-at-home-in-vitro-test-result-covid-p-noelle"
    assert result.specimen_collected_at == dt.datetime(2021, 12, 3, 11, 0, tzinfo=UTC)
    assert result.specimen_received_at == dt.datetime(2021, 12, 3, 16, 0, tzinfo=UTC)
    assert report.answers == [("95419-8", "Y")]


def test_synthea_batch_is_a_report_of_its_lab_observations() -> None:
    report = synthea("Leta870")
    assert report.message_type == "batch"
    assert report.control_id == ""  # Synthea gives a batch no identifier
    patient = report.patient
    assert (patient.family_name, patient.given_name) == ("Kihn564", "Leta870")
    assert patient.birth_date == dt.date(2010, 3, 30)
    assert patient.language == "en"  # communication en-US
    assert Identifier("999-24-7664", "http://hl7.org/fhir/sid/us-ssn", "SS") in (
        patient.identifiers
    )
    # Ten laboratory Observations (a respiratory panel and SARS-CoV-2), no vital signs.
    assert len(report.results) == 10
    covid = next(r for r in report.results if r.test_code == "94531-1")
    assert covid.value_code == "260415000"
    pst = dt.timezone(dt.timedelta(hours=-7))
    assert covid.specimen_collected_at == dt.datetime(2020, 3, 9, 7, 21, 28, tzinfo=pst)


def test_synthea_positive_patient() -> None:
    covid = next(r for r in synthea("Bibi254").results if r.test_code == "94531-1")
    assert (covid.value_code, covid.value) == ("260373001", "Detected (qualifier value)")
