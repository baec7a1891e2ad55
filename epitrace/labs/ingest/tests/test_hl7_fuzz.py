"""Property tests: whatever bytes arrive, cutting and parsing end in a report
or a Rejected with a reason, and never in one of our own errors."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epitrace.labs.ingest.hl7 import parse_hl7_message, split_hl7
from epitrace.labs.ingest.hl7.escapes import unescape
from epitrace.labs.ingest.hl7.parse import INTERNAL_ERROR
from epitrace.labs.ingest.hl7.timestamps import parse_dtm
from epitrace.labs.ingest.hl7.tokens import Delimiters
from epitrace.labs.ingest.report import LabReport, Rejected

TESTDATA = (Path(__file__).parents[4] / ".." / "shared" / "testdata").resolve()
HL7 = TESTDATA / "elr" / "hl7"
SEED_FILES = [
    "nist-elr251/valid/realm/realm-hepatitis-c-virus.hl7",
    "nist-elr251/valid/cerner/cerner_bordetella.hl7",
    "reportstream/src/test/hl7_test_files/batch_message.hl7",
    "reportstream/src/testIntegration/resources/datatests/FHIR_to_HL7/sample_NV_20240212-0001.hl7",
    "mapping-edgecases/src/testIntegration/resources/datatests/mappinginventory/catchall/orur01/oru_r01-full.hl7",
    "python-hl7-vectors/messages/sample_file1.hl7",
]
BUILT_IN = (
    b"MSH|^~\\&|App|Lab|||20210210170737-0500||ORU^R01|C1|P|2.5.1\r"
    b"PID|1||MRN1^^^Hosp&1.2&ISO^MR||Doe^Jane||19800102|F|||1 Main St^^Hartford^CT^06103"
    b"||^PRN^PH^^1^860^5551234\r"
    b"ORC|RE|||||||||||1^Admit^Alan\r"
    b"OBR|1||ACC|94500-6^RNA^LN|||20210209\r"
    b"OBX|1|CWE|94500-6^RNA^LN||260373001^Detected^SCT||||||F|||20210209||||||20210210\r"
    b"NTE|1|L|95419-8 Has symptoms: No N HL70136\r"
    b"SPM|1|^S1||258500001^NP swab^SCT|||||||||||||20210209080000\r"
)
SEEDS = [BUILT_IN] + [(HL7 / f).read_bytes() for f in SEED_FILES if (HL7 / f).exists()]

HL7_ALPHABET = "MSHPIDOBRXCNTEFBS|^~\\&#\r\n\x0b\x1c 0123456789.-+:\"'"
FUZZ = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def check(data: bytes) -> list[LabReport]:
    """Cut and parse ``data`` as the pipeline does; only reports and
    rejections with a reason may come out."""
    reports = []
    reasons = []
    items = list(split_hl7(data))
    assert items, "every input counts as at least one received message"
    assert [item.index for item in items] == list(range(1, len(items) + 1))
    for item in items:
        if item.problem:
            continue
        try:
            reports.append(parse_hl7_message(item.text))
        except Rejected as exc:
            reasons.append(exc.reason)
    assert all(reasons)
    assert not [r for r in reasons if r.startswith(INTERNAL_ERROR)]
    return reports


def test_seeds_parse() -> None:
    assert check(BUILT_IN)
    assert len(SEEDS) == 1 + len(SEED_FILES) or not HL7.is_dir()


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.text(alphabet=HL7_ALPHABET, max_size=400))
def test_hl7_looking_text(text: str) -> None:
    check(text.encode("utf-8"))
    check(("MSH|^~\\&|" + text).encode("utf-8"))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real message with some damage: bytes deleted, duplicated, replaced
    (often by a delimiter or framing byte), or the end cut off."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        length = draw(st.integers(1, 40))
        action = draw(st.sampled_from(["delete", "duplicate", "replace", "insert", "truncate"]))
        if action == "delete":
            del data[at : at + length]
        elif action == "duplicate":
            data[at:at] = data[at : at + length]
        elif action == "truncate":
            del data[at:]
        else:
            byte = draw(
                st.sampled_from([*b'|^~\\&#\r\n\x0b\x1c\x00\xff\xc3"', draw(st.integers(0, 255))])
            )
            if action == "replace":
                data[at] = byte
            else:
                data.insert(at, byte)
    return bytes(data)


@FUZZ
@given(mutated())
def test_damaged_real_messages(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.sampled_from(SEEDS), st.integers(0, 3))
def test_mllp_framed_real_messages(data: bytes, damage: int) -> None:
    framed = b"\x0b" + data + b"\x1c\r"
    damaged = [framed, framed[:-2], framed[1:], framed + framed[: len(framed) // 2]][damage]
    reports = check(damaged)
    if damage == 0:
        assert reports == check(data)


@FUZZ
@given(st.text(max_size=60))
def test_value_syntax_never_raises(text: str) -> None:
    parse_dtm(text)
    assert isinstance(unescape(text, Delimiters()), str)
    assert isinstance(unescape(text, Delimiters(truncation="#")), str)


@FUZZ
@given(st.from_regex(r"\d{4,14}(\.\d{1,4})?([+-]\d{4})?", fullmatch=True))
def test_dtm_shaped_values_never_raise(text: str) -> None:
    parse_dtm(text)
