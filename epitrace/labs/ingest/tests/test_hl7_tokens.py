"""The tokenizer seam: a second, plain ``str.split`` tokenizer must give the
same tokens as the python-hl7 one on every message of the test data, and the
same reports. This is the differential test a faster tokenizer will join."""

from __future__ import annotations

from pathlib import Path

import pytest

from epitrace.labs.ingest.hl7 import parse_hl7_message, split_hl7
from epitrace.labs.ingest.hl7.parse import normalise_segments
from epitrace.labs.ingest.hl7.tokens import (
    Field,
    Segment,
    Tokenizer,
    Tokens,
    read_delimiters,
    tokenize_with_python_hl7,
)
from epitrace.labs.ingest.report import LabReport, Rejected

TESTDATA = (Path(__file__).parents[4] / ".." / "shared" / "testdata").resolve()
HL7 = TESTDATA / "elr" / "hl7"

pytestmark = pytest.mark.skipif(not HL7.is_dir(), reason=f"shared test data not found at {HL7}")


def split_tokenize(text: str) -> Tokens:
    """Reference tokenizer: nested str.split, MSH-1/MSH-2 kept whole."""
    d = read_delimiters(text)
    segments = []
    for line in text.split("\r"):
        if line.startswith("MSH"):
            end = line.find(d.field, 4)
            end = len(line) if end < 0 else end
            head: list[Field] = [[[["MSH"]]], [[[d.field]]], [[[line[4:end]]]]]
            rest = line[end + 1 :].split(d.field) if end < len(line) else []
            fields = head + [_field(f, d.repetition, d.component, d.subcomponent) for f in rest]
        else:
            parts = line.split(d.field)
            fields = [_field(f, d.repetition, d.component, d.subcomponent) for f in parts]
        segments.append(Segment(fields[0][0][0][0], fields))
    return Tokens(d, segments)


def _field(text: str, rep: str, comp: str, sub: str) -> Field:
    return [[c.split(sub) for c in r.split(comp)] for r in text.split(rep)]


def messages() -> list[str]:
    found = []
    for path in sorted(HL7.rglob("*.hl7")):
        for item in split_hl7(path.read_bytes()):
            if not item.problem:
                found.append(normalise_segments(item.text))
    return found


def outcome(text: str, tokenizer: Tokenizer) -> LabReport | str:
    try:
        return parse_hl7_message(text, tokenizer=tokenizer)
    except Rejected as exc:
        return exc.reason


def test_both_tokenizers_agree_on_every_message() -> None:
    texts = messages()
    assert len(texts) == 377
    differ = [t[:60] for t in texts if split_tokenize(t) != tokenize_with_python_hl7(t)]
    assert differ == []


def test_reports_do_not_depend_on_the_tokenizer() -> None:
    for text in messages():
        assert outcome(text, split_tokenize) == outcome(text, tokenize_with_python_hl7)
