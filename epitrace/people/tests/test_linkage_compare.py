"""Normalisation and field comparison levels of the person matcher."""

from __future__ import annotations

import datetime as dt

import pytest

from epitrace.labs.ingest.report import Identifier, Patient
from epitrace.people.linkage import compare, text
from epitrace.people.linkage.compare import FIELD_INDEX, FIELDS
from epitrace.people.linkage.compare import compare as levels_of
from epitrace.people.linkage.record import build, from_patient, from_row


def level(field: str, a: dict[str, str], b: dict[str, str]) -> str:
    spec = FIELDS[FIELD_INDEX[field]]
    return spec.levels[levels_of(from_row("a", a), from_row("b", b))[FIELD_INDEX[field]]]


def test_fold_removes_case_accents_and_punctuation() -> None:
    assert text.fold("  JOSÉ-María ") == "jose maria"
    assert text.fold("O'Brien") == "obrien"
    assert text.fold("Łukasz Sørensen") == "lukasz sorensen"
    assert text.fold("Straße") == "strasse"


def test_phone_keeps_the_last_ten_digits() -> None:
    assert text.phone_key("+1 (860) 555-0134") == "8605550134"
    assert text.phone_key("860.555.0134") == "8605550134"
    assert text.phone_key("555") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1980-05-17", dt.date(1980, 5, 17)),
        ("19800517", dt.date(1980, 5, 17)),
        ("1980-05-17T10:00:00", dt.date(1980, 5, 17)),
        ("1980-05-71", None),  # impossible day: missing, not guessed
        ("05/17/1980", None),  # month or day first? not guessed either
        ("", None),
    ],
)
def test_dates_are_iso_or_compact(raw: str, expected: dt.date | None) -> None:
    assert text.parse_date(raw) == expected


def test_street_abbreviations_and_zip_plus_four() -> None:
    assert text.split_street("12 Main St.") == text.split_street("12 MAIN STREET")
    assert text.split_street("12 Main Street") == ("12", "mainstreet")
    assert text.postcode_key("06103-1234") == "06103"
    assert text.state_key("Connecticut") == text.state_key("CT") == "ct"


def test_names() -> None:
    assert level("given_name", {"given_name": "José"}, {"given_name": "Jose"}) == "exact"
    assert level("given_name", {"given_name": "Bill"}, {"given_name": "William"}) == "alias"
    assert level("given_name", {"given_name": "Bill"}, {"given_name": "Will"}) == "alias"
    assert level("given_name", {"given_name": "Maria"}, {"given_name": "Maria José"}) == "alias"
    assert level("given_name", {"given_name": "Jonathon"}, {"given_name": "Jonathan"}) == "close"
    assert level("family_name", {"family_name": "Jonhson"}, {"family_name": "Johnson"}) == "close"
    assert level("family_name", {"family_name": "Smyth"}, {"family_name": "Smith"}) == (
        "sounds_like"
    )
    assert level("family_name", {"family_name": "Knight"}, {"family_name": "Night"}) in {
        "close",
        "sounds_like",
    }
    assert level("given_name", {"given_name": "J"}, {"given_name": "John"}) == "initial"
    assert level("given_name", {"given_name": "Mary"}, {"given_name": "Kevin"}) == "different"
    assert level("given_name", {"given_name": ""}, {"given_name": "Kevin"}) == "missing"


def test_swapped_given_and_family_names() -> None:
    a = {"given_name": "Wei", "family_name": "Zhang"}
    b = {"given_name": "Zhang", "family_name": "Wei"}
    assert level("given_name", a, b) == "swapped"
    # The family half carries no weight of its own: the swap counts once.
    assert level("family_name", a, b) == "swapped"
    assert "swapped" in FIELDS[FIELD_INDEX["family_name"]].neutral
    # A household's "Omar Ronald" / "Harold Omar" cross on one name only.
    assert level("given_name", {"given_name": "Omar", "family_name": "Ronald"}, {
        "given_name": "Harold", "family_name": "Omar"
    }) == "different"  # fmt: skip


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1980-05-17", "19800517", "exact"),
        ("1980-05-17", "1980-07-15", "transposed"),  # two digits exchanged
        ("1985-03-04", "1958-03-04", "transposed"),  # year digits exchanged
        ("1980-03-12", "1980-12-03", "transposed"),  # day and month exchanged
        ("1980-05-17", "1980-05-18", "one_digit"),
        ("1980-05-17", "1980-05-29", "two_of_three"),
        ("1980-05-17", "1962-11-02", "different"),
        ("1980-05-17", "1980-05-71", "missing"),
    ],
)
def test_birth_dates(a: str, b: str, expected: str) -> None:
    assert level("birth_date", {"birth_date": a}, {"birth_date": b}) == expected


def test_sex_phone_and_address_levels() -> None:
    assert level("sex", {"sex": "F"}, {"sex": "female"}) == "same"
    assert level("sex", {"sex": "F"}, {"sex": "M"}) == "different"
    assert level("sex", {"sex": "U"}, {"sex": "M"}) == "missing"
    assert level("phone", {"phone": "+1 860 555 0134"}, {"phone": "(860) 555-0134"}) == "exact"
    assert level("phone", {"phone": "203 555 0134"}, {"phone": "860 555 0134"}) == "last_seven"
    assert level("phone", {"phone": "860 555 0134"}, {"phone": "860 555 0143"}) == "one_digit"
    assert level("street", {"street": "12 Main St"}, {"street": "12 main street"}) == "exact"
    assert level("street", {"street": "12 Main St"}, {"street": "12 Mian St"}) == (
        "number_and_close_name"
    )
    assert level("street", {"street": "12 Main St"}, {"street": "87 Main St"}) == "name_only"
    assert level("postcode", {"postcode": "06103"}, {"postcode": "06130"}) == "one_digit"
    assert level("city", {"city": "Hartford"}, {"city": "Hartfrod"}) == "close"


def test_address_lines_exchanged() -> None:
    a = {"street": "24 Eddy Crescent", "unit": "Cross Hills"}
    b = {"street": "Cross Hills", "unit": "24 Eddy Crescent"}
    assert level("street", a, b) == "name_only"


def test_identifier_needs_the_same_authority() -> None:
    mrn = build("a", identifiers=[("Hospital A", "MRN-001")])
    same = build("b", identifiers=[("hospital a", "mrn001")])
    other_authority = build("c", identifiers=[("Hospital B", "MRN-001")])
    assert compare.same_identifier(mrn, same)
    assert not compare.same_identifier(mrn, other_authority)
    assert FIELDS[FIELD_INDEX["identifier"]].levels[compare.identifier(mrn, other_authority)] == (
        "missing"
    )


def test_records_from_lab_report_patients() -> None:
    patient = Patient(
        identifiers=[Identifier("123", authority="LAB")],
        family_name="García",
        given_name="Ana",
        birth_date=dt.date(1990, 2, 3),
        sex="F",
        phones=["+18605550134"],
        street="1 Elm St",
        city="Hartford",
        state="CT",
        postcode="06103",
    )
    record = from_patient("p1", patient)
    assert (record.family.text, record.birth, record.phones) == (
        "garcia",
        "19900203",
        ("8605550134",),
    )
    assert record.identifiers == (("lab", "123"),)
