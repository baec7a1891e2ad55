"""ReportStream's mapping inventory: 263 small messages and the FHIR each one
should become. Compared here: every timestamp, phones (XTN), addresses (XAD),
identifiers (CX), a fully populated PID and every OBX value type; messages
that are no lab result about a person are rejected with a clear reason.

Where the FHIR differs from our rule on purpose, the test says why.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from epitrace.labs.ingest.hl7 import parse_hl7_message, split_hl7
from epitrace.labs.ingest.hl7.patient import pick_address, read_cx, read_patient, read_xad, read_xtn
from epitrace.labs.ingest.hl7.segments import Reader
from epitrace.labs.ingest.hl7.timestamps import parse_dtm
from epitrace.labs.ingest.hl7.tokens import Segment, tokenize
from epitrace.labs.ingest.report import Rejected

TESTDATA = (Path(__file__).parents[4] / ".." / "shared" / "testdata").resolve()
ROOT = TESTDATA / "elr" / "hl7" / "mapping-edgecases"
CATCHALL = (
    ROOT / "src" / "testIntegration" / "resources" / "datatests" / "mappinginventory" / "catchall"
)
RAW_TIMESTAMP = "https://reportstream.cdc.gov/fhir/StructureDefinition/hl7v2-date-time"

pytestmark = pytest.mark.skipif(not ROOT.is_dir(), reason=f"shared test data not found at {ROOT}")

Json = dict[str, Any]


def manifest() -> list[dict[str, str]]:
    if not ROOT.is_dir():
        return []
    with (ROOT / "MANIFEST.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def message_text(path: Path) -> str:
    [item] = list(split_hl7(path.read_bytes()))
    assert item.problem == ""
    return item.text


def segments(path: Path) -> tuple[Reader, list[Segment]]:
    tokens = tokenize(message_text(path))
    return Reader(tokens.delimiters), tokens.segments


def segment(path: Path, name: str) -> tuple[Reader, Segment]:
    r, segs = segments(path)
    return r, next(s for s in segs if s.name == name)


def field_containing(seg: Segment, needle: str) -> int:
    return next(n for n, f in enumerate(seg.fields) if needle in str(f))


@cache
def fhir(path: Path) -> Json:
    bundle: Json = json.loads(path.with_suffix(".fhir").read_text(encoding="utf-8"))
    return bundle


def resources(path: Path, kind: str) -> list[Json]:
    return [e["resource"] for e in fhir(path)["entry"] if e["resource"]["resourceType"] == kind]


def stem(path: Path) -> str:
    return path.name.removesuffix(".hl7")


# --- outcome of every message -------------------------------------------------------

NO_OBX = "no test result: no OBX with a test code (OBX-3)"
ONLY_ANSWERS = "no test result: only answers to order-entry questions (OBX-3)"
# Messages with an OBX that still give no report, and why.
NO_REPORT = {
    # OBX|1 with nothing in it
    "ei/EI-to-Device-UDI-Carrier.hl7": NO_OBX,
    "prt/prt-to-device.hl7": NO_OBX,
    "nte/annotation_author_string_resource_test_file.hl7": NO_OBX,
    # OBX-29 = QST: an answer to a question, not a result
    "obx/OBX-to-Observation-st-value.hl7": ONLY_ANSWERS,
    # its only OBX is 11368-8, illness onset date: an order-entry answer
    "nte/NTE-to-annotation.hl7": ONLY_ANSWERS,
}


def expected_outcome(row: dict[str, str]) -> str:
    """'' for a report, else the rejection reason."""
    code, trigger = [*row["msg_type"].split("^"), "", ""][:2]
    if code != "ORU" or trigger not in ("R01", ""):
        return f"{code}^{trigger} is not a lab result (ORU^R01)"
    if "no-PID" in row["features"].split(","):
        return "no patient: the message has no PID segment"
    if row["obx"] == "0":
        return NO_OBX
    return NO_REPORT.get(row["file"].split("catchall/")[1], "")


@pytest.mark.parametrize("row", manifest(), ids=lambda row: row["file"].split("catchall/")[1])
def test_message_outcome(row: dict[str, str]) -> None:
    expected = expected_outcome(row)
    text = message_text(ROOT / row["file"])
    if expected:
        with pytest.raises(Rejected) as caught:
            parse_hl7_message(text)
        assert caught.value.reason == expected
        assert caught.value.control_id == row["control_id"]
        return
    report = parse_hl7_message(text)
    assert report.control_id == row["control_id"]
    assert len(report.results) + len(report.answers) == int(row["obx"])


def test_outcome_counts() -> None:
    outcomes = [expected_outcome(row) for row in manifest()]
    assert len(outcomes) == 263
    assert outcomes.count("") == 29
    assert outcomes.count("no patient: the message has no PID segment") == 44


# --- timestamps -------------------------------------------------------------------


def raw_timestamps(node: Any) -> list[tuple[str, str, str | None]]:
    """(element, HL7 value as sent, FHIR value) for every element whose
    ``_element`` extension records the HL7 date/time it came from."""
    found: list[tuple[str, str, str | None]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("_") and isinstance(value, dict):
                for ext in value.get("extension", []):
                    if ext.get("url") == RAW_TIMESTAMP:
                        found.append((key[1:], ext["valueString"], node.get(key[1:])))
            found += raw_timestamps(value)
    elif isinstance(node, list):
        for item in node:
            found += raw_timestamps(item)
    return found


def same_moment(ours: dt.datetime | dt.date | None, fhir_value: str | None) -> bool:
    """Ours against FHIR's rendering of the same HL7 value.

    FHIR keeps year and month precision ("2023", "2023-11"); we give None for
    those. ReportStream writes a time sent without offset as UTC ("...Z"); we
    keep it naive (the pipeline applies the state's zone), so the clock time
    must match. A FHIR date-only element (birthDate) keeps the date part."""
    if fhir_value is None or len(fhir_value) < len("2023-01-01"):
        return ours is None
    if len(fhir_value) == len("2023-01-01"):
        day = ours.date() if isinstance(ours, dt.datetime) else ours
        return day == dt.date.fromisoformat(fhir_value)
    theirs = dt.datetime.fromisoformat(fhir_value)
    if not isinstance(ours, dt.datetime):
        return False
    if ours.tzinfo is None:
        return fhir_value.endswith("Z") and ours == theirs.replace(tzinfo=None)
    return ours == theirs and ours.utcoffset() == theirs.utcoffset()


def test_every_timestamp_matches_the_fhir() -> None:
    compared = 0
    mismatches = []
    for path in sorted(ROOT.rglob("*.hl7")):
        for element, raw, fhir_value in raw_timestamps(fhir(path)):
            if element == "valueTime":  # TM (time of day), not a DTM
                continue
            compared += 1
            if not same_moment(parse_dtm(raw), fhir_value):
                mismatches.append((path.name, element, raw, fhir_value, parse_dtm(raw)))
    assert mismatches == []
    assert compared == 368


@pytest.mark.parametrize("path", sorted((CATCHALL / "dtm").rglob("*.hl7")), ids=stem)
def test_timestamp_precision_folders(path: Path) -> None:
    r, pid = segment(path, "PID")
    patient = read_patient(r, pid)
    if path.parent.name == "date":  # PID-7 -> birthDate
        [p] = resources(path, "Patient")
        expected = p.get("birthDate")
        assert patient.birth_date == (
            dt.date.fromisoformat(expected) if expected and len(expected) == 10 else None
        )
    elif path.parent.name == "dateTime":  # PID-29 -> deceasedDateTime
        [p] = resources(path, "Patient")
        expected = p.get("deceasedDateTime")
        assert patient.deceased_date == (
            dt.date.fromisoformat(expected[:10]) if expected and len(expected) >= 10 else None
        )
    else:  # OBR-22 -> DiagnosticReport.issued, read as the results' last fallback
        r, obr = segment(path, "OBR")
        [report] = resources(path, "DiagnosticReport")
        assert same_moment(parse_dtm(r.value(obr, 22)), report.get("issued"))


def test_death_date_with_offset() -> None:
    path = CATCHALL / "pid" / "pid-to-patient-pid-29-populated.hl7"
    r, pid = segment(path, "PID")
    assert read_patient(r, pid).deceased_date == dt.date(2012, 6, 17)
    [p] = resources(path, "Patient")
    assert p["deceasedDateTime"] == "2012-06-17T00:00:00-05:00"


# --- phones (XTN), read from NK1-40 -------------------------------------------------

XTN = CATCHALL / "xtn" / "contact-point"
# (phone, email); deviations from the FHIR are commented
PHONES = {
    "xtn_11_xtn6_has_value": ("", ""),  # an area code alone
    "xtn_12_xtn7_has_value_xtn3_is_Internet": ("", ""),  # an e-mail entry without address
    # FHIR keeps the number in extensions only; we make it E.164
    "xtn_12_xtn7_has_value_xtn3_is_PH": ("+12813308004", ""),
    "xtn_12_xtn7_has_value_xtn3_no_value": ("+12813308004", ""),
    "xtn_13_xtn8_has_value": ("", ""),  # an extension alone
    "xtn_14_xtn9_has_value": ("", ""),  # a comment alone
    "xtn_17_xtn12_has_value_xtn3_is_Internet": ("", ""),
    "xtn_17_xtn12_has_value_xtn3_is_PH": ("+12813308004", ""),
    "xtn_17_xtn12_has_value_xtn3_no_value": ("+12813308004", ""),
    "xtn_18_xtn13_has_value": ("", ""),
    "xtn_19_xtn14_has_value": ("", ""),
    "xtn_23_xtn18_has_negative_value": ("", ""),
    "xtn_23_xtn18_has_positive_value": ("", ""),
    "xtn_3_5_test_value_in_xtn3_no_value_in_xtn7_xtn12": ("+12813308004", ""),
    "xtn_3_no_value_in_xtn3_xtn7_xtn12": ("+12813308004", ""),
    # FHIR takes XTN.12 "test"; we take the first valid number, XTN.1
    "xtn_3_test_value_in_xtn3_xtn12_no_value_in_xtn7": ("+12813308004", ""),
    # FHIR gives no value (XTN.7 "test"); we take XTN.1
    "xtn_3_test_value_in_xtn3_xtn7_no_value_in_xtn12": ("+12813308004", ""),
    "xtn_4_ORN_in_xtn2": ("", ""),
    "xtn_4_PRN_in_xtn2": ("", ""),
    "xtn_4_PRS_in_xtn2": ("", ""),
    "xtn_4_WPN_in_xtn2": ("", ""),
    # FHIR says e-mail without a value; an '@' in XTN.4 is kept as the address
    "xtn_6_xtn3_no_value_xtn4_valued": ("", "test@aol.net"),
    "xtn_7_xtn3_no_value_xtn4_no_value": ("+12813308004", ""),
    "xtn_8_xtn3_internet_xtn4_test_email": ("", "test@aol.net"),
    "xtn_8_xtn3_x400_xtn4_test_email": ("", "test@aol.net"),
    "xtn_9_10_xtn5_value_of_1": ("", ""),  # a country code alone
}


def test_every_xtn_file_is_listed() -> None:
    assert {stem(p) for p in XTN.glob("*.hl7")} == set(PHONES)


@pytest.mark.parametrize("name", sorted(PHONES))
def test_phone(name: str) -> None:
    path = XTN / f"{name}.hl7"
    r, nk1 = segment(path, "NK1")
    [rep] = r.repetitions(nk1, 40)
    phone, email = read_xtn(r, rep)
    assert (phone, email) == PHONES[name]
    [related] = resources(path, "RelatedPerson")
    [telecom] = related["telecom"]
    value = telecom.get("value", "")
    if telecom.get("system") == "email" and value:
        assert email == value
    elif value and telecom.get("system") in (None, "phone"):
        number = phonenumbers.parse(value, "US") if any(c.isdigit() for c in value) else None
        if number is not None and phonenumbers.is_valid_number(number):
            assert phone == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- addresses (XAD), read from NK1 -------------------------------------------------

XAD = CATCHALL / "xad"


@pytest.mark.parametrize("path", sorted(XAD.glob("*.hl7")), ids=stem)
def test_address(path: Path) -> None:
    r, nk1 = segment(path, "NK1")
    [rep] = r.repetitions(nk1, field_containing(nk1, "THUNDER MOUNTAIN"))
    address = read_xad(r, rep)
    [related] = resources(path, "RelatedPerson")
    [expected] = related["address"]
    assert address.city == expected["city"]
    assert address.state == expected["state"]
    assert address.postcode == expected["postalCode"]
    assert address.country == expected["country"]
    assert address.county == expected["district"]
    # FHIR lists SAD.1, SAD.2, SAD.3, XAD.2 and XAD.19 as lines; we join the
    # street number and name, and keep XAD.2 as the unit
    lines = expected["line"]
    assert address.street == f"{lines[0]} {lines[1]}" == "4861 20TH AVE"
    assert address.unit == "Other Designation" == lines[3]
    # never a bad address (BA) as the residence; any other type will do
    chosen = pick_address(r, [rep])
    assert (chosen is None) == (address.type_code == "BA")


def test_address_choice_prefers_home() -> None:
    path = CATCHALL / "pid" / "pid-to-patient-pid-fully-populated.hl7"
    r, pid = segment(path, "PID")
    reps = r.repetitions(pid, 11)
    assert [read_xad(r, rep).type_code for rep in reps] == ["H", "C"]
    chosen = pick_address(r, list(reversed(reps)))
    assert chosen is not None
    assert chosen.type_code == "H"


# --- identifiers (CX), read from the OBR -------------------------------------------


@pytest.mark.parametrize("path", sorted((CATCHALL / "cx").glob("*.hl7")), ids=stem)
def test_identifier(path: Path) -> None:
    r, obr = segment(path, "OBR")
    [rep] = r.repetitions(obr, field_containing(obr, "IDNumber"))
    identifier = read_cx(r, rep)
    assert identifier is not None
    [request] = resources(path, "ServiceRequest")
    expected = next(i for i in request["identifier"] if i["value"] == "IDNumber")
    assert identifier.value == expected["value"]
    assert identifier.type_code == r.part(rep, 5)  # CX.5 as sent; FHIR forces PLAC for OBR
    system = expected.get("system", "")
    if system:  # FHIR writes an OID or UUID universal id as a URN
        assert identifier.authority == system.removeprefix("urn:oid:").removeprefix("urn:uuid:")
    else:  # a CLIA-typed authority becomes an Organization in FHIR
        assert "assigner" in expected
        assert identifier.authority == r.part(rep, 4, 1)


# --- a fully populated PID ----------------------------------------------------------


def test_fully_populated_pid() -> None:
    path = CATCHALL / "pid" / "pid-to-patient-pid-fully-populated.hl7"
    r, pid = segment(path, "PID")
    patient = read_patient(r, pid)
    [expected] = resources(path, "Patient")

    assert [(i.value, i.authority, i.type_code) for i in patient.identifiers] == [
        (i["value"], i["system"], i["type"]["coding"][0]["code"]) for i in expected["identifier"]
    ]
    name = expected["name"][0]
    assert (patient.family_name, patient.given_name, patient.middle_name, patient.suffix) == (
        name["family"],
        *name["given"],
        *name["suffix"],
    )
    assert patient.birth_date == dt.date.fromisoformat(expected["birthDate"])
    assert patient.sex == {"male": "M", "female": "F"}[expected["gender"]]
    home = expected["address"][0]
    assert home["use"] == "home"
    assert (patient.street, patient.unit) == tuple(home["line"])
    assert (patient.city, patient.state, patient.postcode, patient.country, patient.county) == (
        home["city"],
        home["state"],
        home["postalCode"],
        home["country"],
        home["district"],
    )
    assert patient.emails == [t["value"] for t in expected["telecom"] if t["system"] == "email"]
    assert patient.phones == expected_phones(expected["telecom"])
    assert patient.deceased_date == dt.date.fromisoformat(expected["deceasedDateTime"][:10])
    assert patient.language == expected["communication"][0]["language"]["coding"][0]["code"]
    assert patient.race == "2106-3"
    assert patient.ethnicity == "N"
    assert patient.species == ""  # PID-35 337915000 Homo sapiens


CONTACT_POINT = "http://hl7.org/fhir/StructureDefinition/contactpoint-"


def expected_phones(telecom: list[Json]) -> list[str]:
    """FHIR keeps XTN.5/6/7 as contact-point extensions; E.164 when valid,
    else the parts as sent, each number once (home and work are the same)."""
    phones: list[str] = []
    for entry in telecom:
        if entry["system"] != "phone":
            continue
        parts = {
            e["url"].removeprefix(CONTACT_POINT): e.get("valueString", "")
            for e in entry["extension"]
            if e["url"].startswith(CONTACT_POINT)
        }
        country, area, local = parts.get("country", ""), parts.get("area", ""), parts["local"]
        number = phonenumbers.parse(f"+{country}{area}{local}")
        if phonenumbers.is_valid_number(number):
            phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        else:
            phone = " ".join(p for p in (country, area, local) if p)
        if phone not in phones:
            phones.append(phone)
    return phones


# --- OBX values by type -------------------------------------------------------------

OBX = CATCHALL / "obx"
STATUS = {"final": "F", "cancelled": "X", "preliminary": "P", "corrected": "C"}
# valueString renderings we do not share: VR ranges keep the component
# separator as sent; SN with an invalid comparator ('-') keeps its numbers.
OUR_STRINGS = {
    "OBX-to-Observation-vr-value": "First^Second",
    "OBX-to-Observation-sn-as-string-value": "1+3",
}
READ_OBX = [p for p in sorted(OBX.glob("*.hl7")) if stem(p) != "OBX-to-Observation-st-value"]


@pytest.mark.parametrize("path", READ_OBX, ids=stem)
def test_observation_value(path: Path) -> None:
    [result] = parse_hl7_message(message_text(path)).results
    [obs] = resources(path, "Observation")
    assert result.test_code == obs["code"]["coding"][0]["code"]
    fhir_status = obs["status"]
    if fhir_status in STATUS:
        assert result.status == STATUS[fhir_status]
    else:
        assert result.status not in STATUS.values()
    check_value(stem(path), result.value, result.value_code, result.units, obs)


def check_value(name: str, value: str, code: str, units: str, obs: Json) -> None:
    if "valueCodeableConcept" in obs:
        coding = obs["valueCodeableConcept"]["coding"][0]
        assert code == coding["code"]
        assert value == coding.get("display", coding["code"])
    elif "valueString" in obs:
        assert value == OUR_STRINGS.get(name, obs["valueString"])
    elif "valueQuantity" in obs:
        quantity = obs["valueQuantity"]
        assert value.startswith(quantity.get("comparator", ""))
        assert units == quantity["code"]
        assert str(quantity["value"]) in value
    elif "valueRange" in obs:
        low, high = obs["valueRange"]["low"]["value"], obs["valueRange"]["high"]["value"]
        assert [str(low), str(high)] == [value[0], value[-len(str(high)) :]]
    elif "valueRatio" in obs:
        ratio = obs["valueRatio"]
        assert value in (
            f"{ratio['numerator']['value']}:{ratio['denominator']['value']}",
            f"{ratio['numerator']['value']}/{ratio['denominator']['value']}",
        )
    elif "valuePeriod" in obs:
        start, end = value.split("^")
        assert same_moment(parse_dtm(start), obs["valuePeriod"]["start"])
        assert same_moment(parse_dtm(end), obs["valuePeriod"]["end"])
    elif "valueDateTime" in obs:
        assert same_moment(parse_dtm(value), obs["valueDateTime"])
    elif "valueTime" in obs:
        assert value == obs["valueTime"]
    else:  # data absent, or encapsulated data that is not text
        assert value == ""


def test_full_oru() -> None:
    path = CATCHALL / "orur01" / "oru_r01-full.hl7"
    report = parse_hl7_message(message_text(path))
    assert [(r.test_code, r.value_code, r.accession) for r in report.results] == [
        ("80383-3", "260415000", "3015894743_04608717"),
        ("80382-5", "260373001", "3015894743_04608717"),
        ("100383-9", "10828004", "47_3015894743_04608717_1233"),
    ]
    # the OBX after each SPM: reported age, an order-entry answer
    assert report.answers == [("21612-7", "28"), ("21612-7", "28")]
    specimens = resources(path, "Specimen")
    collected = {s["collection"]["collectedDateTime"] for s in specimens if "collection" in s}
    assert {r.specimen_collected_at for r in report.results} == {dt.datetime(2023, 7, 24, 15, 24)}
    assert collected == {"2023-07-24T15:24:00Z"}  # sent without offset, written as UTC
    # the method is escaped in the message ("\T\" for '&')
    assert (
        report.results[0].method == "BD Veritor System for Rapid Detection of SARS-CoV-2 & Flu A+B*"
    )
    assert report.patient.birth_date is None  # PID-7 "0000"
