"""The lab CSV format (docs/lab-csv-format.md): header, ``--map``, rows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from epitrace.labs.ingest.csv import (
    COLUMNS,
    MappingError,
    parse_csv_row,
    parse_mapping,
    split_csv,
)
from epitrace.labs.ingest.report import LabReport, RawItem, Rejected

HEADER = (
    "control_id,sending_facility,family_name,given_name,middle_name,birth_date,sex,street,unit,"
    "city,state,postcode,phone,email,patient_id,patient_id_authority,test_code,test_name,result,"
    "result_code,status,specimen_collected_at,resulted_at,specimen_type,performing_lab_id,"
    "performing_lab_name,ordering_facility"
)
ROW = (
    "R-1,Main St Clinic^12D4567890,Granger,Hermione,Jean,1990-07-21,F,53 Buttonwood Ave,Apt 2,"
    "Hartford,CT,06106,(860) 555 1234; 2125551234,h@example.org,MRN-77,Main St Clinic,94500-6,"
    "SARS-CoV-2 RNA NAA,Detected,260373001,F,2024-06-05T14:39:58-04:00,20240605151000,"
    "Nasopharyngeal swab,07D1234567,State Lab,Main St Clinic"
)


def items(text: str, mapping: dict[str, str] | None = None) -> list[RawItem]:
    return list(split_csv(text.encode("utf-8"), mapping))


def one_report(text: str, mapping: dict[str, str] | None = None) -> LabReport:
    (item,) = items(text, mapping)
    assert not item.problem, item.problem
    return parse_csv_row(item.text)


def rejected_row(**cells: str) -> Rejected:
    record = dict(zip(HEADER.split(","), ROW.split(","), strict=True)) | cells
    with pytest.raises(Rejected) as caught:
        parse_csv_row(json.dumps(record))
    return caught.value


def test_documented_header_has_the_required_columns() -> None:
    assert set(HEADER.split(",")) <= set(COLUMNS)


def test_a_full_row() -> None:
    report = one_report(f"{HEADER}\n{ROW}\n")
    assert report.format == "csv"
    assert (report.control_id, report.sending_facility) == ("R-1", "Main St Clinic^12D4567890")
    patient = report.patient
    assert (patient.family_name, patient.given_name, patient.middle_name) == (
        "Granger",
        "Hermione",
        "Jean",
    )
    assert patient.birth_date == dt.date(1990, 7, 21)
    assert patient.sex == "F"
    assert (patient.street, patient.unit, patient.city, patient.state, patient.postcode) == (
        "53 Buttonwood Ave",
        "Apt 2",
        "Hartford",
        "CT",
        "06106",
    )
    assert patient.phones == ["+18605551234", "+12125551234"]
    assert patient.emails == ["h@example.org"]
    assert [(i.value, i.authority) for i in patient.identifiers] == [("MRN-77", "Main St Clinic")]
    (result,) = report.results
    assert (result.test_code, result.test_code_system, result.test_name) == (
        "94500-6",
        "LN",
        "SARS-CoV-2 RNA NAA",
    )
    assert (result.value, result.value_code, result.value_code_system) == (
        "Detected",
        "260373001",
        "SCT",
    )
    assert result.status == "F"
    edt = dt.timezone(dt.timedelta(hours=-4))
    assert result.specimen_collected_at == dt.datetime(2024, 6, 5, 14, 39, 58, tzinfo=edt)
    assert result.resulted_at == dt.datetime(2024, 6, 5, 15, 10)  # no offset: naive
    assert (result.performing_lab_id, result.performing_lab_name) == ("07D1234567", "State Lab")
    assert result.ordering_facility == "Main St Clinic"
    assert result.specimen_type == "Nasopharyngeal swab"


def test_rows_are_numbered_under_the_header_blank_rows_counted() -> None:
    found = items(f"{HEADER}\n{ROW}\n\n,,,\n{ROW}\n")
    assert [i.index for i in found] == [1, 4]
    assert all(json.loads(i.text)["control_id"] == "R-1" for i in found)


def test_header_names_are_matched_loosely_and_unknown_columns_kept() -> None:
    header = "Family Name,GIVEN-NAME,birth_date,Test Code,result,Lab Notes"
    (item,) = items(f"{header}\nDoe,Jane,2001-01-01,94500-6,Not detected,call back\n")
    record = json.loads(item.text)
    assert record["family_name"] == "Doe"
    assert record["Lab Notes"] == "call back"  # stored with the raw row, not read
    assert parse_csv_row(item.text).results[0].value == "Not detected"


def test_a_header_missing_required_columns_is_one_problem_naming_them() -> None:
    (item,) = items("family_name,given_name,result\nDoe,Jane,Detected\nRoe,Rick,Detected\n")
    assert item.index == 1
    assert "birth_date" in item.problem
    assert "test_code" in item.problem


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files(delimiter: str) -> None:
    row = ROW.replace("; 2125551234", "")  # one phone: no ';' inside a value
    text = f"{HEADER}\n{row}\n".replace(",", delimiter)
    assert one_report(text).patient.family_name == "Granger"


def test_spreadsheet_encodings() -> None:
    text = "family_name,given_name,birth_date,test_code,result\nMüller,José,1970-01-01,1-8,x\n"
    for data in (
        b"\xef\xbb\xbf" + text.encode("utf-8"),
        text.encode("utf-16"),
        text.encode("cp1252"),
    ):
        (item,) = split_csv(data)
        assert parse_csv_row(item.text).patient.family_name == "Müller"


def test_quoted_values_with_commas_and_line_breaks() -> None:
    text = (
        'family_name,given_name,birth_date,test_code,result\n"Doe, Jr",Jane,2000-01-01,1-8,"a\nb"\n'
    )
    report = one_report(text)
    assert report.patient.family_name == "Doe, Jr"
    assert report.results[0].value == "a\nb"


def test_a_row_with_too_many_values_is_a_problem() -> None:
    (item,) = items(f"{HEADER}\n{ROW},extra\n")
    assert "28 values" in item.problem


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty file"),
        (b"\n\n", "empty file"),
        (b"\x81\x8d\x8f\x90\x9d", "not text"),
        (b'"', "no header"),  # a lone quote: a record with one empty cell
    ],
)
def test_empty_and_unreadable_files_are_one_problem(data: bytes, problem: str) -> None:
    (item,) = split_csv(data)
    assert problem in item.problem


# --- rows that are rejected ---------------------------------------------------------


def test_a_row_without_a_test_code_is_rejected() -> None:
    exc = rejected_row(test_code="")
    assert "test_code" in exc.reason
    assert exc.control_id == "R-1"


def test_a_row_that_identifies_nobody_is_rejected() -> None:
    exc = rejected_row(patient_id="", family_name="", birth_date="")
    assert "cannot be identified" in exc.reason


def test_a_patient_id_alone_identifies_the_person() -> None:
    record = dict(zip(HEADER.split(","), ROW.split(","), strict=True))
    record.update(family_name="", given_name="", birth_date="")
    assert parse_csv_row(json.dumps(record)).patient.identifiers[0].value == "MRN-77"


@pytest.mark.parametrize(
    "column", ["birth_date", "specimen_collected_at", "resulted_at", "deceased_date"]
)
@pytest.mark.parametrize("value", ["06/05/2024", "2024-13-01", "yesterday", "20240230"])
def test_an_unreadable_date_names_its_column(column: str, value: str) -> None:
    reason = rejected_row(**{column: value}).reason
    assert reason.startswith(f"{column}:")
    assert value in reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-05", dt.date(2024, 6, 5)),
        ("20240605", dt.date(2024, 6, 5)),
        ("2024-06-05 08:30", dt.datetime(2024, 6, 5, 8, 30)),
        ("2024-06-05T08:30:00Z", dt.datetime(2024, 6, 5, 8, 30, tzinfo=dt.UTC)),
        (
            "202406050830-0500",
            dt.datetime(2024, 6, 5, 8, 30, tzinfo=dt.timezone(-dt.timedelta(hours=5))),
        ),
    ],
)
def test_date_forms(value: str, expected: dt.date) -> None:
    record = dict(zip(HEADER.split(","), ROW.split(","), strict=True))
    record["specimen_collected_at"] = value
    assert parse_csv_row(json.dumps(record)).results[0].specimen_collected_at == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [("P", "P"), ("final", "F"), ("Corrected", "C"), ("amended", "C"), ("canceled", "X"), ("", "")],
)
def test_statuses(status: str, expected: str) -> None:
    record = dict(zip(HEADER.split(","), ROW.split(","), strict=True)) | {"status": status}
    assert parse_csv_row(json.dumps(record)).results[0].status == expected


def test_an_unknown_status_is_rejected() -> None:
    assert rejected_row(status="done").reason.startswith("status:")


@pytest.mark.parametrize("text", ["", "[]", "not json", '"row"', "[" * 3000])
def test_parse_rejects_what_is_not_a_row_record(text: str) -> None:
    with pytest.raises(Rejected):
        parse_csv_row(text)


# --- --map -----------------------------------------------------------------------------


def test_mapping_renames_their_columns_to_ours() -> None:
    mapping = parse_mapping("given_name=First, family_name = Last Name,birth_date=DOB,")
    assert mapping == {"given_name": "First", "family_name": "Last Name", "birth_date": "DOB"}
    mapping |= {"test_code": "LOINC", "result": "Result"}
    text = "First,Last Name,DOB,LOINC,Result\nJane,Doe,1999-12-31,94500-6,Positive\n"
    report = one_report(text, mapping)
    assert (report.patient.given_name, report.patient.family_name) == ("Jane", "Doe")
    assert report.results[0].value == "Positive"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("given_name", "has no '='"),
        ("first=given_name", "did you mean given_name=first"),
        ("nickname=first", "not a column"),
        ("given_name=", "names no column"),
        ("given_name=a,given_name=b", "mapped twice"),
        (" , ", "empty"),
    ],
)
def test_mapping_errors_say_what_to_fix(spec: str, words: str) -> None:
    with pytest.raises(MappingError, match=words):
        parse_mapping(spec)


def test_a_mapping_naming_a_column_the_file_lacks_is_one_problem() -> None:
    (item,) = items(f"{HEADER}\n{ROW}\n", {"given_name": "First"})
    assert "'First' (for given_name)" in item.problem


def test_a_mapping_that_gives_a_column_twice_is_one_problem() -> None:
    (item,) = items(f"{HEADER},first\n{ROW},Jane\n", {"given_name": "first"})
    assert "two columns of the file give given_name" in item.problem
