"""Cutting files and streams into messages: batches, MLLP, line endings, encodings."""

from __future__ import annotations

from epitrace.labs.ingest.hl7 import parse_hl7_message, split_hl7
from epitrace.labs.ingest.hl7.split import decode_hl7

MSH_1 = "MSH|^~\\&|Lab|Fac|||20210210170737||ORU^R01^ORU_R01|ONE|P|2.5.1"
MSH_2 = MSH_1.replace("|ONE|", "|TWO|")
PID = "PID|1||123^^^Lab^MR||Doe^Jane||19800101|F"
OBX = "OBX|1|CWE|94500-6^SARS-CoV-2 RNA^LN||260373001^Detected^SCT||||||F"


def message(msh: str = MSH_1, end: str = "\r") -> str:
    return end.join([msh, PID, "OBR|1||ACC1|94500-6^SARS-CoV-2 RNA^LN", OBX]) + end


def items(data: bytes) -> list[tuple[int, str, str]]:
    return [(i.index, i.text, i.problem) for i in split_hl7(data)]


def test_single_message() -> None:
    [(index, text, problem)] = items(message().encode())
    assert (index, problem) == (1, "")
    assert text.split("\r")[0] == MSH_1
    assert parse_hl7_message(text).control_id == "ONE"


def test_concatenated_messages_cut_at_each_msh() -> None:
    got = items((message() + message(MSH_2)).encode())
    assert [(i, p) for i, _, p in got] == [(1, ""), (2, "")]
    assert [parse_hl7_message(t).control_id for _, t, _ in got] == ["ONE", "TWO"]
    assert all(t.count("MSH") == 1 for _, t, _ in got)


def test_line_endings_are_normalised() -> None:
    for end in ("\r\n", "\n", "\r"):
        [(_, text, problem)] = items(message(end=end).encode())
        assert problem == ""
        assert "\n" not in text
        assert text.count("\r") == 3


def test_batch_envelopes_are_dropped() -> None:
    data = "\r".join(
        [
            "FHS|^~\\&|Sender",
            "BHS|^~\\&|Sender",
            message().rstrip("\r"),
            message(MSH_2).rstrip("\r"),
            "BTS|2",
            "FTS|1",
        ]
    )
    got = items(data.encode())
    assert [(i, p) for i, _, p in got] == [(1, ""), (2, "")]
    assert not any(
        seg.startswith(("FHS", "BHS", "BTS", "FTS")) for _, t, _ in got for seg in t.split("\r")
    )


def test_text_before_first_msh_is_a_problem_item() -> None:
    got = items(("garbage line\r" + message()).encode())
    assert [(i, bool(p)) for i, _, p in got] == [(1, True), (2, False)]
    assert "garbage line" in got[0][2]


def test_segments_after_an_envelope_segment_are_not_glued_to_a_message() -> None:
    # python-hl7's bad batch: a second BHS in the middle of a message
    data = "\r".join(["BHS|^~\\&", MSH_1, "EVN|A04", "BHS|^~\\&", PID, "BTS|1"])
    got = items(data.encode())
    assert [bool(p) for _, _, p in got] == [False, True]
    assert got[1][1] == PID


def test_empty_input_is_one_problem_item() -> None:
    for data in (b"", b"  \r\n\r\n", b"\x0b\x1c\r"):
        got = items(data)
        assert len(got) == 1
        assert got[0][0] == 1
        assert got[0][2]


def test_envelope_without_messages_is_one_problem_item() -> None:
    [(index, _, problem)] = items(b"FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|1")
    assert index == 1
    assert "no HL7 message" in problem


def test_mllp_frames() -> None:
    data = b"".join(b"\x0b" + m.encode() + b"\x1c\r" for m in (message(), message(MSH_2)))
    got = items(data)
    assert [(i, p) for i, _, p in got] == [(1, ""), (2, "")]
    assert [parse_hl7_message(t).control_id for _, t, _ in got] == ["ONE", "TWO"]


def test_unterminated_mllp_frame_is_a_problem_item() -> None:
    data = b"\x0b" + message().encode() + b"\x1c\r" + b"\x0b" + message(MSH_2).encode()
    got = items(data)
    assert [(i, bool(p)) for i, _, p in got] == [(1, False), (2, True)]
    assert "unterminated" in got[1][2]
    assert "TWO" in got[1][1]


def test_frame_interrupted_by_a_new_start_block() -> None:
    data = b"\x0b" + message().encode() + b"\x0b" + message(MSH_2).encode() + b"\x1c\r"
    got = items(data)
    assert [bool(p) for _, _, p in got] == [True, False]
    assert parse_hl7_message(got[1][1]).control_id == "TWO"


def test_text_outside_frames_is_a_problem_item() -> None:
    data = message().encode() + b"\x1c\r" + b"\x0b" + message(MSH_2).encode() + b"\x1c\r"
    got = items(data)
    assert [bool(p) for _, _, p in got] == [True, False]
    assert "outside MLLP frames" in got[0][2]


def test_empty_frame_is_a_problem_item() -> None:
    got = items(b"\x0b\x1c\r\x0b" + message().encode() + b"\x1c\r")
    assert [(i, bool(p)) for i, _, p in got] == [(1, True), (2, False)]


def test_decoding() -> None:
    text = message().replace("Doe", "Dupré")
    assert decode_hl7(text.encode("utf-8")) == text
    assert decode_hl7(text.encode("latin-1")) == text
    assert decode_hl7(b"\xef\xbb\xbf" + text.encode()) == text
    assert decode_hl7(text.encode("utf-16")) == text


def test_msh18_names_the_character_set_when_bytes_are_not_utf8() -> None:
    msh = MSH_1 + "||||||8859/15"  # MSH-18
    text = message(msh).replace("Doe", "Doe\u20ac")  # the euro sign exists in 8859-15 only
    assert decode_hl7(text.encode("iso8859-15")) == text


def test_indexes_count_problem_items_too() -> None:
    data = ("junk\r" + message() + "BTS|1\rmore junk\r" + message(MSH_2)).encode()
    got = items(data)
    assert [i for i, _, _ in got] == [1, 2, 3, 4]
    assert [bool(p) for _, _, p in got] == [True, False, True, False]
