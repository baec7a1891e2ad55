"""Property-based: arbitrary bytes and mutated real bundles never make the
FHIR splitter or parser raise anything but ``Rejected``."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epitrace.labs.ingest.fhir import parse_fhir_message, split_fhir
from epitrace.labs.ingest.report import LabReport, Rejected

TESTDATA = Path(__file__).resolve().parents[4].parent / "shared" / "testdata"
SEEDS = [
    "elr/fhir/reportstream/sample_AL_20240624-0001.fhir",
    "elr/fhir/reportstream/sample_bundle_multiple_observations_keepall.fhir",
    "elr/fhir/reportstream/sample_SR_1_20230302-0001-missing-data.fhir",
    "elr/fhir/home-lab-report/Bundle-bundle-at-home-in-vitro-test-results-s-trevor.json",
]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ_SLOW = settings(FUZZ, max_examples=100)  # each example parses a whole bundle


def survives(text: str) -> LabReport | Rejected:
    """Parse; only ``Rejected`` may come out, and nothing PostgreSQL cannot store."""
    outcome = _outcome(text)
    if isinstance(outcome, Rejected):
        assert outcome.reason
        assert "\x00" not in outcome.reason + outcome.control_id
    else:
        assert not any("\x00" in value for value in _strings(dataclasses.asdict(outcome)))
    return outcome


def _outcome(text: str) -> LabReport | Rejected:
    try:
        return parse_fhir_message(text)
    except Rejected as exc:
        return exc


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
    for item in split_fhir(data):
        assert item.index >= 1
        assert "\x00" not in item.text + item.problem
        if not item.problem:
            survives(item.text)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    split_and_parse(data)


@FUZZ
@given(st.text(max_size=500))
def test_arbitrary_text(text: str) -> None:
    split_and_parse(text.encode("utf-8", "surrogatepass"))
    survives(text)


WORDS = st.sampled_from(
    [
        "",
        " ",
        "Bundle",
        "Patient",
        "Observation",
        "DiagnosticReport",
        "Specimen",
        "MessageHeader",
        "Group/1",
        "Patient/p1",
        "#p",
        "urn:uuid:1",
        "2024-13-45",
        "2024-02-29T24:00:00Z",
        "2024-06-05T18:39:58+00:00",
        "1990",
        "R01",
        "O21",
        "laboratory",
        "survey",
        "95419-8",
        "http://loinc.org",
        "\x00",
        "searchset",
        "message",
    ]
)
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    SCALARS | WORDS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(WORDS | st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _load_seeds() -> list[tuple[dict[str, Any], list[tuple[Any, ...]]]]:
    if not TESTDATA.is_dir():
        return []
    seeds = [json.loads((TESTDATA / name).read_text(encoding="utf-8")) for name in SEEDS]
    return [(seed, [p for p in _paths(seed) if p]) for seed in seeds]


SEED_DOCS = _load_seeds()


def _mutate(document: Any, path: tuple[Any, ...], value: Any, delete: bool) -> None:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


@pytest.mark.skipif(not SEED_DOCS, reason=f"shared test data not found at {TESTDATA}")
@FUZZ_SLOW
@given(st.data())
def test_mutated_real_bundles(data: st.DataObject) -> None:
    seed, paths = data.draw(st.sampled_from(SEED_DOCS))
    document = copy.deepcopy(seed)
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(paths))
        try:
            _mutate(document, path, data.draw(JSON_VALUES), data.draw(st.booleans()))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced the path
    survives(json.dumps(document))


@FUZZ_SLOW
@given(
    st.sampled_from(["Bundle", "Observation", "DiagnosticReport"]),
    st.dictionaries(WORDS | st.text(max_size=8), JSON_VALUES, max_size=6),
)
def test_random_resources(kind: str, body: dict[str, Any]) -> None:
    survives(json.dumps({**body, "resourceType": kind}))
