"""How a raw lab message is shown and edited on the errors screen.

HL7 v2 ends segments with a bare carriage return, which browsers show as one
long line: the screen shows one segment per line, and marks the segments the
rejection reason names (``PID-35``, ``no PID segment``, a message type such
as ``ADT^A01``, which lives in MSH-9). The edit box hands back the text with
the browser's CRLF line breaks: they are put back to the message's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from epitrace.labs.choices import MessageFormat

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# "PID-35", "MSH-9.2", "no PID segment", "2 patients (PID segments)".
_SEGMENT_NAMED = re.compile(r"\b([A-Z][A-Z0-9]{2})(?:-\d|\s+segments?\b)")
# A message type ("ADT^A01") is the content of MSH-9.
_MESSAGE_TYPE = re.compile(r"\b[A-Z]{3}\^[A-Z0-9]{3}\b")


@dataclass(frozen=True)
class Line:
    """One line of the message as shown; ``flagged`` when the reason points at it."""

    number: int
    text: str
    flagged: bool = False


def file_name(source_name: str) -> str:
    """The file name alone: the directories of the importing server are not shown."""
    return source_name.replace("\\", "/").rsplit("/", 1)[-1]


def named_segments(reason: str) -> set[str]:
    """The HL7 segment ids a rejection reason points at."""
    names = set(_SEGMENT_NAMED.findall(reason))
    if _MESSAGE_TYPE.search(reason):
        names.add("MSH")
    return names


def display_lines(content: str, fmt: str, reason: str) -> list[Line]:
    """The message split into lines (HL7: one segment each), the named segments flagged."""
    texts = _LINE_BREAK.split(content.strip("\r\n"))
    flagged = named_segments(reason) if fmt == MessageFormat.HL7 else set()
    return [
        Line(number, text, fmt == MessageFormat.HL7 and text[:3] in flagged)
        for number, text in enumerate(texts, start=1)
    ]


def line_break_of(content: str) -> str:
    """The line break a message uses: for HL7 a bare CR, the standard's terminator."""
    found = _LINE_BREAK.search(content)
    return found.group(0) if found else "\r"


def with_line_breaks(edited: str, original: str) -> str:
    """``edited`` with the line breaks of ``original``, whatever the browser sent."""
    return line_break_of(original).join(_LINE_BREAK.split(edited))
