"""HL7 v2.5.1 acknowledgements (original mode) for the MLLP listener.

``MSH`` swaps the sender and receiver of the incoming MSH-3..6 and carries a
new control id; ``MSA-2`` echoes the incoming MSH-10. Codes:

* AA: accepted, or a duplicate of a message already accepted (the sender
  can stop re-sending it);
* AE: stored but rejected by the pipeline; MSA-3 and ERR-8 say why, ERR-3
  carries an HL7 table 0357 code;
* AR: not stored at all (not HL7, too large, the database unavailable).
  The sender may try again later; nothing was kept.

The ACK is written with the incoming message's own delimiters, so the
echoed fields stay valid as sent. Reasons are escaped for HL7.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from django.utils import timezone

ACK_VERSION = "2.5.1"
DEFAULT_ENCODING = "^~\\&"
MSA3_LENGTH = 80  # MSA-3 is ST(80) in v2.5.1; the whole reason goes in ERR-8
ERR8_LENGTH = 250
_SURROUNDING = " \t\r\n\x0b\x1c\x00\ufeff"


class AckCode(StrEnum):
    ACCEPT = "AA"
    ERROR = "AE"
    REJECT = "AR"


class ErrorCode(NamedTuple):
    """An HL7 table 0357 message error condition."""

    code: str
    text: str


SEGMENT_SEQUENCE = ErrorCode("100", "Segment sequence error")
REQUIRED_FIELD = ErrorCode("101", "Required field missing")
DATA_TYPE = ErrorCode("102", "Data type error")
UNSUPPORTED_TYPE = ErrorCode("200", "Unsupported message type")
INTERNAL = ErrorCode("207", "Application internal error")

# The pipeline's rejection reasons, by what they say, in order: first match wins.
_REASONS: tuple[tuple[tuple[str, ...], ErrorCode], ...] = (
    (("is not a lab result", "no message type"), UNSUPPORTED_TYPE),
    (("not a person", "internal error"), INTERNAL),
    (("no test result", "neither a name nor an identifier"), REQUIRED_FIELD),
    (("encoding characters",), DATA_TYPE),
    (("segment", "PID", "MSH"), SEGMENT_SEQUENCE),
)


@dataclass(frozen=True)
class Header:
    """The incoming MSH fields the ACK needs, as sent (still escaped)."""

    field: str = "|"
    encoding: str = DEFAULT_ENCODING
    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    message_type: str = ""
    control_id: str = ""
    processing_id: str = ""

    @property
    def component(self) -> str:
        return self.encoding[0]

    @property
    def trigger_event(self) -> str:
        parts = self.message_type.split(self.component)
        return parts[1] if len(parts) > 1 else ""


def read_header(text: str) -> Header | None:
    """The MSH of ``text``, or None when ``text`` does not start with an MSH segment."""
    text = text.lstrip(_SURROUNDING)
    if not text.startswith("MSH") or len(text) < 8:
        return None
    separator = text[3]
    if separator.isalnum() or separator.isspace():
        return None
    line = text.split("\r", 1)[0].split("\n", 1)[0]
    fields = line.split(separator)  # fields[n] is MSH-(n+1): MSH-1 is the separator itself
    encoding = fields[1] if _valid_encoding(fields[1], separator) else DEFAULT_ENCODING

    def msh(number: int) -> str:
        return fields[number - 1] if len(fields) >= number else ""

    return Header(
        field=separator,
        encoding=encoding,
        sending_application=msh(3),
        sending_facility=msh(4),
        receiving_application=msh(5),
        receiving_facility=msh(6),
        message_type=msh(9),
        control_id=msh(10),
        processing_id=msh(11),
    )


def error_code_for(reason: str) -> ErrorCode:
    for needles, code in _REASONS:
        if any(needle in reason for needle in needles):
            return code
    return INTERNAL


def build_ack(
    header: Header | None,
    code: AckCode,
    reason: str = "",
    error: ErrorCode | None = None,
    *,
    now: dt.datetime | None = None,
) -> str:
    """The ACK message (segments joined by CR, unframed)."""
    h = header or Header()
    f, c = h.field, h.component
    stamp = (now or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%d%H%M%S+0000")
    msh = [
        "MSH",
        h.encoding,
        h.receiving_application or "Epitrace",
        h.receiving_facility,
        h.sending_application,
        h.sending_facility,
        stamp,
        "",
        c.join(["ACK", h.trigger_event or "R01", "ACK"]),
        new_control_id(),
        h.processing_id or "P",
        ACK_VERSION,
    ]
    msa = ["MSA", code.value, h.control_id]
    segments = [f.join(msh)]
    if code is AckCode.ACCEPT or not reason:
        segments.append(f.join(msa))
        return "\r".join(segments) + "\r"
    msa.append(escape(_clip(reason, MSA3_LENGTH), h))
    segments.append(f.join(msa))
    number, text = error or error_code_for(reason)
    err_code = c.join([number, escape(text, h), "HL70357"])
    # ERR-1 (deprecated) and ERR-2 empty, ERR-3 the code, ERR-4 severity E(rror), ERR-8 the reason.
    segments.append(
        f.join(["ERR", "", "", err_code, "E", "", "", "", escape(_clip(reason, ERR8_LENGTH), h)])
    )
    return "\r".join(segments) + "\r"


def escape(text: str, header: Header | None = None) -> str:
    """``text`` with the message's delimiters escaped (v2.5.1 section 2.7); line
    breaks become spaces (one reason is one line)."""
    h = header or Header()
    esc = h.encoding[2] if len(h.encoding) > 2 else "\\"
    table = {esc: "E", h.field: "F", h.encoding[0]: "S"}
    if len(h.encoding) > 1:
        table[h.encoding[1]] = "R"
    if len(h.encoding) > 3:
        table[h.encoding[3]] = "T"
    out = []
    for char in text:
        if char in table:
            out.append(f"{esc}{table[char]}{esc}")
        elif char in "\r\n":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def new_control_id() -> str:
    """A fresh MSH-10, 20 characters (the field's v2.5.1 length)."""
    return uuid.uuid4().hex[:20].upper()


def _clip(text: str, length: int) -> str:
    # ASCII: the sender may read the ACK in a single-byte character set.
    return text if len(text) <= length else text[: length - 3] + "..."


def _valid_encoding(chars: str, separator: str) -> bool:
    return (
        2 <= len(chars) <= 5
        and len(set(chars)) == len(chars)
        and separator not in chars
        and not any(ch.isalnum() or ch.isspace() for ch in chars)
    )
