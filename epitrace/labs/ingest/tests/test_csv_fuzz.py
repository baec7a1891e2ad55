"""Property-based: arbitrary bytes, text and row records never make the CSV
splitter or parser raise anything but ``Rejected``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epitrace.labs.ingest.csv import COLUMNS, REQUIRED, parse_csv_row, split_csv
from epitrace.labs.ingest.report import LabReport, Rejected

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
HEADER = ",".join((*REQUIRED, "status", "specimen_collected_at", "phone", "patient_id"))


def _outcome(text: str) -> LabReport | Rejected:
    try:
        return parse_csv_row(text)
    except Rejected as exc:
        return exc


def survives(text: str) -> None:
    outcome = _outcome(text)
    if isinstance(outcome, Rejected):
        assert outcome.reason
    else:
        assert not any("\x00" in value for value in _strings(dataclasses.asdict(outcome)))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _strings(inner)


def split_and_parse(data: bytes) -> None:
    for item in split_csv(data):
        assert item.index >= 1
        assert "\x00" not in item.text + item.problem
        if not item.problem:
            survives(item.text)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    split_and_parse(data)


@FUZZ
@given(st.text(max_size=800))
def test_arbitrary_rows_under_a_good_header(body: str) -> None:
    split_and_parse(f"{HEADER}\n{body}".encode("utf-8", "surrogatepass"))


CELL = st.one_of(
    st.text(max_size=25),
    st.sampled_from(["", "2024-06-05", "20240605", "2024-02-30", "06/05/2024", "F", "x", "+1"]),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


@FUZZ
@given(st.dictionaries(st.sampled_from(COLUMNS) | st.text(max_size=8), CELL, max_size=12))
def test_arbitrary_row_records(record: dict[str, Any]) -> None:
    survives(json.dumps(record))
