"""A file or stream of HL7 v2 -> one :class:`RawItem` per message.

Handles what arrives from labs and the surveillance system: a single
message, messages one after another, FHS/BHS batch envelopes (the envelope
segments are dropped; they carry no result), MLLP-framed streams
(``0x0B message 0x1C 0x0D``), CR, LF or CRLF segment ends, UTF-8 or
Latin-1 text.

Nothing is lost silently: text that is not inside a message (before the
first MSH, or after an envelope segment ends a message), an unterminated or
unopened MLLP frame, an empty frame, and an empty or unreadable input each
become one item with ``problem`` set, which the pipeline records as a
rejected message. ``index`` counts items from 1 in the order of the input.

Batch trailer counts (BTS-1, FTS-1) are not checked: senders fill them
inconsistently (ReportStream's own test batch announces 25 of its 20
messages), and a mismatch is not a message to reject.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from epitrace.labs.ingest.report import RawItem

MLLP_START = "\x0b"
MLLP_END = "\x1c"
_ENVELOPE = ("FHS", "BHS", "BTS", "FTS")
_BLANK = " \t\x00\ufeff" + MLLP_START + MLLP_END
_SNIPPET = 60
# MSH-18 character sets (HL7 table 0211) that are neither ASCII nor UTF-8;
# used only when the bytes are not valid UTF-8.
_CHARSETS = {
    **{f"8859/{n}": f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 15)},
    "GB 18030-2000": "gb18030",
    "BIG-5": "big5",
    "KS X 1001": "euc_kr",
    "ISO IR87": "iso2022_jp",
}


def split_hl7(data: bytes) -> Iterator[RawItem]:
    """Cut ``data`` into messages (see the module docstring)."""
    text = decode_hl7(data)
    pieces = _mllp_pieces(text) if MLLP_START in text else _messages(text)
    index = 0
    for message, problem in pieces:
        index += 1
        yield RawItem(index=index, text=message, problem=problem)
    if index == 0:
        what = "empty input" if not text.strip(_BLANK + "\r\n") else "no HL7 message (MSH) found"
        yield RawItem(index=1, text=text, problem=what)


def decode_hl7(data: bytes) -> str:
    """Bytes -> text: a UTF-16 or UTF-8 byte order mark decides; otherwise
    UTF-8 when the bytes are valid UTF-8 (whatever MSH-18 claims: a valid
    multi-byte sequence is no accident), else the MSH-18 character set when
    it names one, else Latin-1, which can decode anything."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return data.decode(_declared_charset(data) or "latin-1", errors="replace")


def _declared_charset(data: bytes) -> str | None:
    start = data.find(b"MSH")
    if start < 0 or len(data) < start + 4:
        return None
    line = data[start : start + 2000].split(b"\r", 1)[0].split(b"\n", 1)[0]
    fields = line.split(data[start + 3 : start + 4])
    if len(fields) <= 17:
        return None
    # MSH-18 may repeat (v2.5+); the first repetition is the default set.
    declared = fields[17].split(b"~", 1)[0].decode("ascii", errors="replace").strip()
    return _CHARSETS.get(declared.upper())


def _mllp_pieces(text: str) -> Iterator[tuple[str, str]]:
    """Messages out of MLLP frames; each framing fault is one problem item."""
    for content, problem in _frames(text):
        if problem:
            yield content, problem
            continue
        found = False
        for piece in _messages(content):
            found = True
            yield piece
        if not found:
            yield content, "empty MLLP frame"


def _frames(text: str) -> Iterator[tuple[str, str]]:
    pos, size = 0, len(text)
    while pos < size:
        start = text.find(MLLP_START, pos)
        stop = start if start >= 0 else size
        outside = text[pos:stop]
        if outside.strip(_BLANK + "\r\n"):
            yield outside, "text outside MLLP frames (no 0x0B start block before it)"
        if start < 0:
            return
        end = text.find(MLLP_END, start + 1)
        restart = text.find(MLLP_START, start + 1)
        if end < 0 or 0 <= restart < end:
            stop = restart if restart >= 0 else size
            yield text[start + 1 : stop], "unterminated MLLP frame (no 0x1C 0x0D end block)"
            pos = stop
            continue
        yield text[start + 1 : end], ""
        pos = end + 1
        if text.startswith("\r", pos):  # the CR that completes the end block
            pos += 1


def _messages(text: str) -> Iterator[tuple[str, str]]:
    """Cut plain text at each MSH. Envelope segments end the message before
    them; segments not preceded by an MSH become one problem item per run."""
    current: list[str] = []
    stray: list[str] = []
    for segment in _segments(text):
        name = segment[:3]
        if name == "MSH" and _is_segment_start(segment):
            yield from _flush(current, stray)
            current = [segment]
        elif name in _ENVELOPE and _is_segment_start(segment):
            yield from _flush(current, stray)
            current = []
        elif current:
            current.append(segment)
        else:
            stray.append(segment)
    yield from _flush(current, stray)


def _flush(current: list[str], stray: list[str]) -> Iterator[tuple[str, str]]:
    if stray:
        text = "\r".join(stray)
        yield text, f"segments outside any message (no MSH before them): {text[:_SNIPPET]!r}"
        stray.clear()
    if current:
        yield "\r".join(current), ""


def _segments(text: str) -> Iterable[str]:
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    return (s for line in text.split("\r") if (s := line.strip(_BLANK)))


def _is_segment_start(segment: str) -> bool:
    # "MSH|..." but not "MSHX..." or "MSH" followed by a letter
    return len(segment) == 3 or not segment[3].isalnum()
