"""The FHIR parser on small hand-made messages: each rule of the format,
one at a time (references, lone resources, events, subjects, structure,
timestamps, values) and the splitter's inputs."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from epitrace.labs.ingest.fhir import parse_fhir_message, split_fhir
from epitrace.labs.ingest.report import LabReport, Rejected

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


def patient(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "urn:mrn", "value": "M-1"}],
        "name": [{"family": "Doe", "given": ["Jane", "Q"]}],
        "birthDate": "1980-02-29",
        "gender": "female",
        **extra,
    }


def observation(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "category": [{"coding": [{"code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": "94500-6", "display": "SARS-CoV-2 RNA"}]},
        "subject": {"reference": "Patient/p1"},
        "valueCodeableConcept": {
            "coding": [{"system": SNOMED, "code": "260373001", "display": "Detected"}]
        },
        **extra,
    }


def bundle(*resources: dict[str, Any], kind: str = "collection", **extra: Any) -> dict[str, Any]:
    entries = [
        {"fullUrl": f"{r['resourceType']}/{r.get('id', i)}", "resource": r}
        for i, r in enumerate(resources)
    ]
    return {"resourceType": "Bundle", "type": kind, "entry": entries, **extra}


def parse(document: dict[str, Any]) -> LabReport:
    return parse_fhir_message(json.dumps(document))


def rejected(document: dict[str, Any] | str) -> str:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(Rejected) as caught:
        parse_fhir_message(text)
    return caught.value.reason


# --- bundles and references ---------------------------------------------------


@pytest.mark.parametrize("kind", ["message", "transaction", "batch", "collection", "document"])
def test_accepted_bundle_types(kind: str) -> None:
    report = parse(bundle(patient(), observation(), kind=kind))
    assert report.message_type == kind
    assert report.results[0].value_code == "260373001"


@pytest.mark.parametrize("kind", ["searchset", "history"])
def test_query_answers_are_rejected(kind: str) -> None:
    assert "query" in rejected(bundle(patient(), observation(), kind=kind))


def test_references_by_urn_uuid_fullurl() -> None:
    document = bundle(patient(), observation(subject={"reference": "urn:uuid:1234"}))
    document["entry"][0]["fullUrl"] = "urn:uuid:1234"
    assert parse(document).patient.family_name == "Doe"


def test_references_relative_to_an_absolute_fullurl() -> None:
    document = bundle(patient(), observation())
    document["entry"][0]["fullUrl"] = "https://example.org/fhir/Patient/p1"
    document["entry"][1]["resource"]["subject"]["reference"] = "Patient/p1/_history/3"
    assert parse(document).patient.given_name == "Jane"


def test_contained_patient_in_a_lone_observation() -> None:
    lone = observation(contained=[patient(id="pat")], subject={"reference": "#pat"})
    report = parse(lone)
    assert report.message_type == "Observation"
    assert report.patient.family_name == "Doe"
    assert report.results[0].test_code == "94500-6"


def test_lone_observation_pointing_elsewhere_is_rejected() -> None:
    assert "is not in the message" in rejected(observation())


def test_lone_diagnostic_report_with_contained_observations_and_patient() -> None:
    report = {
        "resourceType": "DiagnosticReport",
        "id": "r1",
        "status": "final",
        "identifier": [{"value": "ACC-9"}],
        "code": {"coding": [{"system": LOINC, "code": "94531-1"}]},
        "subject": {"reference": "#p"},
        "effectiveDateTime": "2024-01-02T03:04:05-05:00",
        "contained": [patient(id="p"), observation(id="o", subject={"reference": "#p"})],
        "result": [{"reference": "#o"}],
    }
    parsed = parse(report)
    (result,) = parsed.results
    assert result.accession == "ACC-9"
    assert parsed.control_id == "ACC-9"
    assert result.specimen_collected_at == dt.datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )


def test_control_id_from_identifier_else_message_header_else_id() -> None:
    header = {"resourceType": "MessageHeader", "id": "mh-7", "eventCoding": {"code": "R01"}}
    with_identifier = bundle(header, patient(), observation(), identifier={"value": "CTRL-1"})
    assert parse(with_identifier).control_id == "CTRL-1"
    assert parse(bundle(header, patient(), observation(), id="b-1")).control_id == "mh-7"
    assert parse(bundle(patient(), observation(), id="b-1")).control_id == "b-1"


def test_a_repeated_entry_is_one_resource() -> None:
    assert len(parse(bundle(patient(), observation(), observation())).results) == 1


# --- events and subjects ------------------------------------------------------


def header(code: str, display: str = "") -> dict[str, Any]:
    coding = {"system": "http://terminology.hl7.org/CodeSystem/v2-0003", "code": code}
    if display:
        coding["display"] = display
    return {"resourceType": "MessageHeader", "id": "h", "eventCoding": coding}


@pytest.mark.parametrize(
    ("code", "display", "words"),
    [
        ("O21", "OML^O21^OML_O21", "an order"),
        ("O01", "ORM^O01", "an order"),
        ("A04", "ADT^A04", "ADT"),
        ("Q11", "", "not a lab result"),
    ],
)
def test_non_result_events_are_rejected(code: str, display: str, words: str) -> None:
    document = bundle(header(code, display), patient(), observation(), kind="message")
    document["identifier"] = {"value": "C-9"}
    with pytest.raises(Rejected) as caught:
        parse(document)
    assert words in caught.value.reason
    assert caught.value.control_id == "C-9"


def test_result_events_are_accepted() -> None:
    assert parse(bundle(header("R01"), patient(), observation(), kind="message")).results
    at_home = {"resourceType": "MessageHeader", "eventCoding": {"system": LOINC, "code": "96552-5"}}
    assert parse(bundle(at_home, patient(), observation(), kind="message")).results


def test_an_animal_is_rejected_with_its_species() -> None:
    dog = patient(
        extension=[
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-animal",
                "extension": [
                    {
                        "url": "species",
                        "valueCodeableConcept": {
                            "coding": [{"system": SNOMED, "code": "448771007", "display": "Dog"}]
                        },
                    }
                ],
            }
        ]
    )
    reason = rejected(bundle(dog, observation()))
    assert "Dog" in reason
    assert "not a person" in reason


@pytest.mark.parametrize("kind", ["Group", "Device", "Location"])
def test_a_non_person_subject_is_rejected(kind: str) -> None:
    thing = {"resourceType": kind, "id": "x"}
    obs = observation(subject={"reference": f"{kind}/x"})
    assert f"a {kind}, not a person" in rejected(bundle(thing, obs))


def test_results_about_two_patients_are_rejected() -> None:
    other = patient(id="p2")
    second = observation(id="o2", subject={"reference": "Patient/p2"})
    assert "2 patients" in rejected(bundle(patient(), other, observation(), second))


def test_a_bundle_without_a_lab_result_is_rejected() -> None:
    vitals = observation(category=[{"coding": [{"code": "vital-signs"}]}])
    assert "no laboratory result" in rejected(bundle(patient(), vitals))


# --- what is a result, what an answer -------------------------------------------


def test_order_entry_answers_go_to_answers() -> None:
    symptomatic = observation(
        id="q1",
        code={"coding": [{"system": LOINC, "code": "95419-8"}]},
        valueCodeableConcept={"coding": [{"code": "Y", "display": "Yes"}]},
    )
    onset = observation(id="q2", code={"coding": [{"system": LOINC, "code": "11368-8"}]})
    del onset["valueCodeableConcept"]
    onset["valueDateTime"] = "2024-01-01"
    report = parse(bundle(patient(), observation(), symptomatic, onset))
    assert [r.test_code for r in report.results] == ["94500-6"]
    assert report.answers == [("95419-8", "Y"), ("11368-8", "2024-01-01")]


def test_a_panel_without_value_gives_its_members() -> None:
    member = observation(id="m1")
    panel = observation(id="panel", hasMember=[{"reference": "Observation/m1"}])
    del panel["valueCodeableConcept"]
    panel["code"] = {"coding": [{"system": LOINC, "code": "94531-1"}]}
    report = parse(bundle(patient(), panel, member))
    assert [r.observation_id for r in report.results] == ["m1"]


def test_entered_in_error_and_cancelled_results_are_kept_with_their_status() -> None:
    wrong = observation(status="entered-in-error")
    assert parse(bundle(patient(), wrong)).results[0].status == "entered-in-error"


def test_loinc_further_down_becomes_the_alternate_code() -> None:
    obs = observation(
        code={
            "coding": [
                {"system": "urn:local", "code": "CV19", "display": "Covid PCR"},
                {"system": "urn:other", "code": "X"},
                {"system": LOINC, "code": "94500-6"},
            ]
        }
    )
    (result,) = parse(bundle(patient(), obs)).results
    assert (result.test_code, result.test_code_system) == ("CV19", "urn:local")
    assert (result.alternate_test_code, result.alternate_test_code_system) == ("94500-6", LOINC)
    assert result.test_name == "Covid PCR"


def test_an_observation_without_a_coded_test_is_rejected() -> None:
    reason = rejected(bundle(patient(), observation(code={"text": "covid test"})))
    assert "Observation/o1 code has no coding" in reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"valueQuantity": {"value": 12.50, "comparator": "<", "unit": "copies/mL"}}, "<12.5"),
        ({"valueString": "POSITIVE"}, "POSITIVE"),
        ({"valueBoolean": True}, "true"),
        ({"valueInteger": 3}, "3"),
        ({"valueRange": {"low": {"value": 1}, "high": {"value": 4}}}, "1-4"),
        ({"valueRatio": {"numerator": {"value": 1}, "denominator": {"value": 128}}}, "1:128"),
    ],
)
def test_values(value: dict[str, Any], expected: str) -> None:
    obs = observation()
    del obs["valueCodeableConcept"]
    obs.update(value)
    assert parse(bundle(patient(), obs)).results[0].value == expected


def test_decimals_are_kept_as_sent() -> None:
    obs = observation(valueQuantity={"value": 0, "unit": "x"})
    del obs["valueCodeableConcept"]
    text = json.dumps(bundle(patient(), obs)).replace('"value": 0,', '"value": 12.50,')
    result = parse_fhir_message(text).results[0]
    assert (result.value, result.units) == ("12.50", "x")


# --- times ------------------------------------------------------------------------


def specimen(**collection: Any) -> dict[str, Any]:
    return {"resourceType": "Specimen", "id": "s1", "collection": collection}


def test_collection_time_prefers_the_specimen() -> None:
    obs = observation(specimen={"reference": "Specimen/s1"}, effectiveDateTime="2024-05-02")
    report = parse(bundle(patient(), specimen(collectedDateTime="2024-05-01T08:00:00Z"), obs))
    assert report.results[0].specimen_collected_at == dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC)


def test_collection_time_falls_back_to_the_observation_then_the_report() -> None:
    obs = observation(effectivePeriod={"start": "2024-05-02T10:30:00"})
    assert parse(bundle(patient(), obs)).results[0].specimen_collected_at == dt.datetime(
        2024, 5, 2, 10, 30
    )  # no offset: naive, the pipeline applies the state's zone
    report = {
        "resourceType": "DiagnosticReport",
        "id": "r",
        "status": "final",
        "code": {"coding": [{"code": "x"}]},
        "effectiveDateTime": "2024-05-03",
        "result": [{"reference": "Observation/o1"}],
    }
    assert parse(bundle(patient(), observation(), report)).results[
        0
    ].specimen_collected_at == dt.date(2024, 5, 3)


def test_partial_birth_dates_are_dropped() -> None:
    assert parse(bundle(patient(birthDate="1980-02"), observation())).patient.birth_date is None


def test_an_unreadable_date_rejects_with_its_path() -> None:
    reason = rejected(bundle(patient(birthDate="02/29/1980"), observation()))
    assert reason.startswith("Patient/p1 birthDate")


def test_an_unreadable_collection_time_rejects_with_its_path() -> None:
    obs = observation(specimen={"reference": "Specimen/s1"})
    reason = rejected(bundle(patient(), specimen(collectedDateTime="yesterday"), obs))
    assert "Specimen/s1 collection.collectedDateTime" in reason


def test_readable_sloppy_timestamps_are_taken() -> None:
    obs = observation(issued="2024-05-01T08:00", effectiveDateTime="2024-05-01T07:00:00+0200")
    result = parse(bundle(patient(), obs)).results[0]
    assert result.resulted_at == dt.datetime(2024, 5, 1, 8)
    assert result.specimen_collected_at == dt.datetime(
        2024, 5, 1, 7, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )


# --- structure: lenient where senders slip, strict where the report reads -------------


def test_a_slip_the_report_does_not_depend_on_is_tolerated() -> None:
    obs = observation(identifier={"value": "one object, not a list"}, note="not a list")
    sloppy = patient(name={"family": "Doe", "given": ["Jane"]}, gender="")
    report = parse(bundle(sloppy, obs, {"resourceType": "Provenance", "id": "pv"}))
    assert report.patient.family_name == "Doe"
    assert report.patient.sex == "U"


def test_a_malformed_element_the_report_reads_rejects_with_its_path() -> None:
    reason = rejected(bundle(patient(name="Jane Doe"), observation()))
    assert reason.startswith("Patient/p1 name:")
    assert "should be a list" in reason
    obs = observation(valueQuantity={"value": "twelve"})
    del obs["valueCodeableConcept"]
    assert "Observation/o1 valueQuantity.value" in rejected(bundle(patient(), obs))


# --- the patient ----------------------------------------------------------------------


def test_patient_fields() -> None:
    person = patient(
        name=[
            {"use": "old", "family": "Old"},
            {"use": "official", "family": "Doe", "given": ["Jane", "Q"], "suffix": ["Jr"]},
        ],
        telecom=[
            {"system": "phone", "value": "(860) 555-0100"},
            {"system": "phone", "value": "not a number"},
            {"system": "email", "value": "jane@example.org"},
            {"system": "fax", "value": "(860) 555-0199"},
        ],
        address=[
            {
                "line": ["1 Main St", "Apt 2"],
                "city": "Hartford",
                "district": "Hartford County",
                "state": "CT",
                "postalCode": "06103",
            }
        ],
        communication=[
            {"language": {"coding": [{"code": "en"}]}},
            {"language": {"coding": [{"code": "es-MX"}]}, "preferred": True},
        ],
        deceasedDateTime="2024-02-01T10:00:00Z",
        gender="other",
    )
    found = parse(bundle(person, observation())).patient
    assert (found.family_name, found.given_name, found.middle_name, found.suffix) == (
        "Doe",
        "Jane",
        "Q",
        "Jr",
    )
    assert found.phones == ["+18605550100", "not a number"]
    assert found.emails == ["jane@example.org"]
    assert (found.street, found.unit, found.county) == ("1 Main St", "Apt 2", "Hartford County")
    assert found.language == "es"
    assert found.deceased_date == dt.date(2024, 2, 1)
    assert found.sex == "O"


# --- splitting -------------------------------------------------------------------------


def test_split_one_document() -> None:
    (item,) = split_fhir(json.dumps(bundle(patient(), observation())).encode())
    assert (item.index, item.problem) == (1, "")


def test_split_ndjson_and_a_bad_line() -> None:
    first = json.dumps(bundle(patient(), observation()))
    items = list(split_fhir(f"{first}\n\n{first}\n{{broken\n".encode()))
    assert [i.index for i in items] == [1, 2, 3]
    assert [bool(i.problem) for i in items] == [False, False, True]
    assert "line 4" in items[2].problem


def test_split_an_array_and_a_bundle_of_bundles() -> None:
    one = bundle(patient(), observation())
    assert len(list(split_fhir(json.dumps([one, one, one]).encode()))) == 3
    outer = {"resourceType": "Bundle", "type": "batch", "entry": [{"resource": one}] * 2}
    items = list(split_fhir(json.dumps(outer).encode()))
    assert len(items) == 2
    assert parse_fhir_message(items[1].text).patient.family_name == "Doe"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty file"),
        (b"  \n\t", "empty file"),
        (b"\xff\xfe\x00\xd8garbage", "not UTF-8"),
        (b"MSH|^~\\&|", "not readable JSON"),
        (b"[]", "empty JSON array"),
    ],
)
def test_split_unreadable_input_is_one_item_with_a_problem(data: bytes, problem: str) -> None:
    (item,) = split_fhir(data)
    assert problem in item.problem
    assert "\x00" not in item.text


def test_split_accepts_a_byte_order_mark_and_utf16() -> None:
    document = json.dumps(bundle(patient(), observation()))
    for data in (b"\xef\xbb\xbf" + document.encode(), document.encode("utf-16")):
        (item,) = split_fhir(data)
        assert not item.problem
        assert parse_fhir_message(item.text).results


@pytest.mark.parametrize(
    "text",
    ["", "null", "[1]", '"Bundle"', "{}", '{"resourceType": 5}', "NaN", "[" * 5000],
)
def test_parse_rejects_what_is_not_a_resource(text: str) -> None:
    assert rejected(text)


def test_input_is_not_modified() -> None:
    document = bundle(patient(), observation())
    before = copy.deepcopy(document)
    parse(document)
    assert document == before
