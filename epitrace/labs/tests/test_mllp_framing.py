"""MLLP framing and HL7 acknowledgements, without a socket or a database."""

from __future__ import annotations

import datetime as dt

import pytest

from epitrace.labs.ingest.hl7.escapes import unescape
from epitrace.labs.ingest.hl7.tokens import Delimiters
from epitrace.labs.mllp.ack import (
    DATA_TYPE,
    INTERNAL,
    REQUIRED_FIELD,
    SEGMENT_SEQUENCE,
    UNSUPPORTED_TYPE,
    AckCode,
    build_ack,
    error_code_for,
    escape,
    read_header,
)
from epitrace.labs.mllp.framing import HEAD_BYTES, FrameReader, wrap

MSH = (
    "MSH|^~\\&|LIS^1.2.3^ISO|Lab^11D0000001^CLIA|EPI|STATE|20240102030405||ORU^R01^ORU_R01"
    "|CTRL-1|P|2.5.1"
)
MESSAGE = MSH + "\rPID|1||123^^^Lab^MR||Doe^Jane\r"


def segments(ack: str) -> dict[str, list[str]]:
    return {line[:3]: line.split("|") for line in ack.split("\r") if line}


def test_frames_are_cut_from_a_stream_whatever_the_reads() -> None:
    stream = wrap("one") + b"\r\n" + wrap("two") + wrap("three")
    for size in (1, 2, 5, len(stream)):
        reader = FrameReader(max_bytes=1024)
        got = []
        for start in range(0, len(stream), size):
            got += [f.content for f in reader.feed(stream[start : start + size])]
        assert got == [b"one", b"two", b"three"], size
        assert reader.stray_bytes == 0
        assert not reader.in_frame


def test_noise_outside_frames_is_counted_and_dropped() -> None:
    reader = FrameReader(max_bytes=1024)
    frames = reader.feed(b"GET / HTTP/1.0\r\n" + wrap("msg") + b"\x00\x01")
    assert [f.content for f in frames] == [b"msg"]
    assert reader.stray_bytes == len("GET / HTTP/1.0") + 2


def test_a_frame_restarted_before_its_end_is_abandoned() -> None:
    reader = FrameReader(max_bytes=1024)
    frames = reader.feed(b"\x0bhalf a mess" + wrap("whole"))
    assert [f.content for f in frames] == [b"whole"]
    assert reader.abandoned == 1


def test_the_carriage_return_after_the_end_block_is_optional() -> None:
    reader = FrameReader(max_bytes=1024)
    assert [f.content for f in reader.feed(b"\x0ba\x1c\x0bb\x1c")] == [b"a", b"b"]


def test_an_oversized_frame_keeps_only_its_head_and_its_size() -> None:
    reader = FrameReader(max_bytes=HEAD_BYTES + 10)
    body = MSH.encode() + b"\r" + b"N" * 100_000
    frames: list = []
    for start in range(0, len(body), 4000):
        frames += reader.feed((b"\x0b" if start == 0 else b"") + body[start : start + 4000])
    frames += reader.feed(b"\x1c\x0d" + wrap("next"))
    big, following = frames
    assert big.oversized
    assert big.size == len(body)
    assert len(big.content) == HEAD_BYTES
    assert big.content.startswith(b"MSH|")
    assert (following.content, following.oversized) == (b"next", False)


def test_the_header_is_read_with_the_message_s_own_delimiters() -> None:
    header = read_header("\ufeff\r\nMSH#:+!*#A#B#C#D#T##ORU:R01#ID-9#T#2.5.1\rPID#1")
    assert header is not None
    assert (header.field, header.encoding, header.control_id) == ("#", ":+!*", "ID-9")
    assert (header.sending_application, header.receiving_facility) == ("A", "D")
    assert header.trigger_event == "R01"
    assert read_header("PID|1||x") is None
    assert read_header("MSHX|abc") is None
    assert read_header("") is None


def test_an_accept_swaps_sender_and_receiver_and_echoes_the_control_id() -> None:
    header = read_header(MESSAGE)
    now = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    ack = segments(build_ack(header, AckCode.ACCEPT, now=now))
    msh, msa = ack["MSH"], ack["MSA"]
    assert msh[1] == "^~\\&"
    assert (msh[2], msh[3]) == ("EPI", "STATE")
    assert (msh[4], msh[5]) == ("LIS^1.2.3^ISO", "Lab^11D0000001^CLIA")
    assert msh[6] == "20240506070809+0000"
    assert msh[8] == "ACK^R01^ACK"
    assert msh[9] != "CTRL-1"
    assert msh[9]
    assert len(msh[9]) <= 20
    assert (msh[10], msh[11]) == ("P", "2.5.1")
    assert msa == ["MSA", "AA", "CTRL-1"]
    assert "ERR" not in ack


def test_an_error_carries_the_escaped_reason_and_a_table_0357_code() -> None:
    header = read_header(MESSAGE)
    reason = "ADT^A01 is not a lab result (ORU^R01) | see C:\\specs & notes ~ more\nline two"
    ack = segments(build_ack(header, AckCode.ERROR, reason))
    msa, err = ack["MSA"], ack["ERR"]
    assert msa[:3] == ["MSA", "AE", "CTRL-1"]
    assert unescape(msa[3], Delimiters()) == reason.replace("\n", " ")
    assert err[3] == "200^Unsupported message type^HL70357"
    assert err[4] == "E"
    assert unescape(err[8], Delimiters()) == reason.replace("\n", " ")


def test_long_reasons_are_clipped_in_msa_3_but_kept_in_err_8() -> None:
    reason = "no test result: " + "x" * 200
    ack = segments(build_ack(read_header(MESSAGE), AckCode.ERROR, reason))
    assert len(ack["MSA"][3]) == 80
    assert ack["ERR"][8] == reason


def test_a_reject_without_a_header_still_answers() -> None:
    ack = segments(build_ack(None, AckCode.REJECT, "not HL7", SEGMENT_SEQUENCE))
    assert ack["MSA"] == ["MSA", "AR", "", "not HL7"]
    assert ack["ERR"][3].startswith("100^")
    assert ack["MSH"][8] == "ACK^R01^ACK"


def test_escaping_uses_the_message_s_delimiters() -> None:
    header = read_header("MSH#:+!*#A")
    assert escape("a#b:c+d!e*f|g^", header) == "a!F!b!S!c!R!d!E!e!T!f|g^"


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("ADT^A01 is not a lab result (ORU^R01)", UNSUPPORTED_TYPE),
        ("no message type (MSH-9 is empty); expected ORU^R01", UNSUPPORTED_TYPE),
        ("no patient: the message has no PID segment", SEGMENT_SEQUENCE),
        ("2 patients (PID segments) in one message; ELR sends one", SEGMENT_SEQUENCE),
        ("the message does not start with an MSH segment", SEGMENT_SEQUENCE),
        ("no test result: no OBX with a test code (OBX-3)", REQUIRED_FIELD),
        ("the patient has neither a name nor an identifier", REQUIRED_FIELD),
        ("bad encoding characters in MSH-1/MSH-2: '^~'", DATA_TYPE),
        ("the subject is not a person (PID-35 species 'dog')", INTERNAL),
        ("internal error while reading the message (KeyError())", INTERNAL),
        ("something new", INTERNAL),
    ],
)
def test_rejection_reasons_map_to_table_0357(reason: str, code: tuple[str, str]) -> None:
    assert error_code_for(reason) == code
