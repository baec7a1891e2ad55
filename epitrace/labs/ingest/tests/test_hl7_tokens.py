"""The tokenizer seam: the importer's ``str.split`` tokenizer must give the
same tokens as python-hl7 on every message of the test data and on
generated messages (separators, escapes, empty and repeated fields), and the
same reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epitrace.labs.ingest.hl7 import parse_hl7_message, split_hl7
from epitrace.labs.ingest.hl7.parse import normalise_segments
from epitrace.labs.ingest.hl7.tokens import (
    TokenizeError,
    Tokenizer,
    tokenize,
    tokenize_split,
    tokenize_with_python_hl7,
)
from epitrace.labs.ingest.report import LabReport, Rejected

TESTDATA = (Path(__file__).parents[4] / ".." / "shared" / "testdata").resolve()
HL7 = TESTDATA / "elr" / "hl7"

needs_testdata = pytest.mark.skipif(not HL7.is_dir(), reason=f"shared test data not found at {HL7}")


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


@needs_testdata
def test_both_tokenizers_agree_on_every_message() -> None:
    texts = messages()
    assert len(texts) == 377
    differ = [t[:60] for t in texts if tokenize_split(t) != tokenize_with_python_hl7(t)]
    assert differ == []


@needs_testdata
def test_reports_do_not_depend_on_the_tokenizer() -> None:
    for text in messages():
        assert outcome(text, tokenize_split) == outcome(text, tokenize_with_python_hl7)


def test_the_importer_uses_the_split_tokenizer() -> None:
    assert tokenize is tokenize_split


# Values as feeds send them: letters, digits, blanks, the usual punctuation,
# escape sequences, and every separator of the default set.
_value = st.text(alphabet="AZaz09 .-/\\^&~#ÉñП", max_size=12)
_field = st.lists(_value, max_size=4).map("|".join)
_segment = st.tuples(st.sampled_from(["PID", "OBR", "OBX", "NTE", "SPM", "ZXX"]), _field).map(
    "|".join
)


@given(
    msh_tail=_field,
    segments=st.lists(_segment, min_size=1, max_size=6),
    encoding=st.sampled_from(["^~\\&", "^~\\&#", "!@$%"]),
)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_both_tokenizers_agree_on_generated_messages(
    msh_tail: str, segments: list[str], encoding: str
) -> None:
    # As the parser hands it over: segments normalised, surrounding blanks gone.
    text = normalise_segments("\r".join([f"MSH|{encoding}|{msh_tail}", *segments]))
    try:
        expected = tokenize_with_python_hl7(text)
    except TokenizeError:
        with pytest.raises(TokenizeError):
            tokenize_split(text)
        return
    assert tokenize_split(text) == expected
