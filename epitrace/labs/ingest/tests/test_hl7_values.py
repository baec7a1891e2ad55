"""HL7 value syntax: escape sequences, DTM timestamps, delimiters, phones."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from epitrace.labs.ingest.hl7.escapes import unescape
from epitrace.labs.ingest.hl7.patient import normalise_phone
from epitrace.labs.ingest.hl7.timestamps import parse_date, parse_datetime, parse_dtm
from epitrace.labs.ingest.hl7.tokens import (
    Delimiters,
    TokenizeError,
    read_delimiters,
    tokenize_with_python_hl7,
)

TESTDATA = (Path(__file__).parents[4] / ".." / "shared" / "testdata").resolve()
VECTORS = TESTDATA / "elr" / "hl7" / "python-hl7-vectors" / "escape_vectors.csv"
STANDARD = Delimiters()


def tz(hours: int, minutes: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours, minutes=minutes))


# --- escapes -----------------------------------------------------------------


def _vector_text(expected: str) -> str:
    # The CSV describes two expectations in words instead of giving them.
    if expected == "4 spaces":
        return "    "
    if expected.startswith("_text_"):
        return "text"  # highlighting carries no text here; python-hl7 renders _text_
    return expected


def _vectors() -> list[tuple[str, str, str]]:
    if not VECTORS.exists():
        return []
    with VECTORS.open(encoding="utf-8") as f:
        return [(row["direction"], row["input"], row["expected"]) for row in csv.DictReader(f)]


@pytest.mark.skipif(not VECTORS.exists(), reason=f"shared test data not found at {VECTORS}")
@pytest.mark.parametrize(("direction", "given", "expected"), _vectors())
def test_python_hl7_escape_vectors(direction: str, given: str, expected: str) -> None:
    if direction == "unescape":
        assert unescape(given, STANDARD) == _vector_text(expected)
    else:  # an escape vector read backwards: the escaped form gives the text back
        assert unescape(expected, STANDARD) == given


def test_escape_vectors_file_has_both_directions() -> None:
    if not VECTORS.exists():
        pytest.skip(f"shared test data not found at {VECTORS}")
    directions = [d for d, _, _ in _vectors()]
    assert directions.count("unescape") == 8
    assert directions.count("escape") == 8


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("plain", "plain"),
        ("BD Veritor \\T\\ Flu A+B", "BD Veritor & Flu A+B"),
        ("line one\\.br\\line two", "line one\nline two"),
        ("a\\.sp\\b\\.in+4\\c", "a\nbc"),
        ("\\H\\bold\\N\\ text", "bold text"),
        # UTF-8 bytes, even when split over two sequences
        ("\\XC3A9\\t\\XC3\\\\XA9\\", "\u00e9t\u00e9"),
        ("\\Xe9\\", "\u00e9"),  # not UTF-8: Latin-1
        ("\\XZZ\\", "\\XZZ\\"),  # not hex: kept
        ("C:\\temp\\file", "C:\\temp\\file"),  # not an escape: kept
        ("unterminated \\F", "unterminated \\F"),
        ("\\Zlocal\\x", "x"),
        ("\\C2842\\x", "x"),
    ],
)
def test_unescape(raw: str, text: str) -> None:
    assert unescape(raw, STANDARD) == text


def test_unescape_uses_the_message_delimiters() -> None:
    odd = Delimiters(field="!", component="@", repetition="*", escape="$", subcomponent="%")
    assert unescape("a$F$b$S$c$T$d$R$e$E$f", odd) == "a!b@c%d*e$f"
    assert unescape("\\F\\ stays", odd) == "\\F\\ stays"


def test_truncation_escape_only_with_a_truncation_character() -> None:
    assert unescape("a\\P\\b", Delimiters(truncation="#")) == "a#b"
    assert unescape("a\\P\\b", STANDARD) == "a\\P\\b"


# --- timestamps --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2023", None),
        ("202311", None),
        ("20231102", dt.date(2023, 11, 2)),
        ("20231102-0500", dt.date(2023, 11, 2)),
        ("2023110211", dt.datetime(2023, 11, 2, 11)),
        ("202311021104", dt.datetime(2023, 11, 2, 11, 4)),
        ("20231102110405", dt.datetime(2023, 11, 2, 11, 4, 5)),
        ("20231102110405.6", dt.datetime(2023, 11, 2, 11, 4, 5, 600000)),
        ("20231102110405.67", dt.datetime(2023, 11, 2, 11, 4, 5, 670000)),
        ("20231102110405.678", dt.datetime(2023, 11, 2, 11, 4, 5, 678000)),
        ("20231102110405.6789", dt.datetime(2023, 11, 2, 11, 4, 5, 678900)),
        ("20080818183002.1-0700", dt.datetime(2008, 8, 18, 18, 30, 2, 100000, tz(-7))),
        ("202102090000-0600", dt.datetime(2021, 2, 9, 0, 0, tzinfo=tz(-6))),
        ("20280808152805+0000", dt.datetime(2028, 8, 8, 15, 28, 5, tzinfo=tz(0))),
        ("202301011200+0530", dt.datetime(2023, 1, 1, 12, 0, tzinfo=tz(5, 30))),
        ("20230101120000Z", dt.datetime(2023, 1, 1, 12, 0, tzinfo=dt.UTC)),
        (" 20230101 ", dt.date(2023, 1, 1)),
        ("0000", None),
        ("00000000", None),
        ("20231302", None),
        ("20230230", None),
        ("2023010124", None),
        ("20230101126000", None),
        ("20230816123358-050", None),
        ("20230101-2500", None),
        ("20230101+0060", None),
        ("196203520", None),
        ("2023-01-01", None),
        ("", None),
        ("abc", None),
    ],
)
def test_parse_dtm(raw: str, value: dt.datetime | dt.date | None) -> None:
    parsed = parse_dtm(raw)
    assert parsed == value
    assert type(parsed) is type(value)
    if isinstance(value, dt.datetime):
        assert parsed.utcoffset() == value.utcoffset()  # type: ignore[union-attr]


def test_offset_is_the_senders_own() -> None:
    parsed = parse_dtm("20210209083000-0600")
    assert isinstance(parsed, dt.datetime)
    assert parsed.tzinfo == tz(-6)
    assert parsed.astimezone(dt.UTC) == dt.datetime(2021, 2, 9, 14, 30, tzinfo=dt.UTC)


def test_parse_date_keeps_the_calendar_date_as_sent() -> None:
    assert parse_date("20050715050000") == dt.date(2005, 7, 15)
    assert parse_date("20120617233000-0500") == dt.date(2012, 6, 17)
    assert parse_date("197010") is None


def test_parse_datetime_makes_midnight_of_a_bare_date() -> None:
    assert parse_datetime("20101001") == dt.datetime(2010, 10, 1)
    assert parse_datetime("2010") is None


# --- delimiters and tokens ---------------------------------------------------


def test_read_delimiters_of_v27_message() -> None:
    d = read_delimiters("MSH|^~\\&#|A")
    assert d == Delimiters("|", "^", "~", "\\", "&", "#")


@pytest.mark.parametrize(
    "header",
    ["MSH", "MSH|", "MSH|^~\\|", "MSH|^~\\&&|", "MSH|^^\\&|", "MSH|^~a&|", "MSH|^~ &|", "PID|1"],
)
def test_bad_encoding_characters(header: str) -> None:
    with pytest.raises(TokenizeError):
        read_delimiters(header)


def test_tokens_have_fixed_depth() -> None:
    tokens = tokenize_with_python_hl7(
        "MSH|^~\\&|App|Fac\rPID|1||a^^^X&1.2&ISO^MR~b||Doe^John|x&y^^^~"
    )
    msh, pid = tokens.segments
    assert msh.name == "MSH"
    assert msh.fields[1] == [[["|"]]]
    assert msh.fields[2] == [[["^~\\&"]]]
    assert msh.fields[3] == [[["App"]]]
    assert pid.fields[1] == [[["1"]]]
    assert pid.fields[3] == [
        [["a"], [""], [""], ["X", "1.2", "ISO"], ["MR"]],
        [["b"]],
    ]
    assert pid.fields[5] == [[["Doe"], ["John"]]]
    assert pid.fields[6] == [[["x", "y"], [""], [""], [""]], [[""]]]


# --- phones ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("3035548889", "+13035548889"),
        ("(303) 554-8889", "+13035548889"),
        ("+1 303 693 0111", "+13036930111"),
        ("+31201234567", "+31201234567"),
        ("5555552004", None),  # 555 is no area code
        ("test", None),
        ("", None),
    ],
)
def test_normalise_phone(raw: str, e164: str | None) -> None:
    assert normalise_phone(raw) == e164
