"""HL7 v2 escape sequences (v2.5.1 chapter 2, section 2.7) undone into text.

Delimiters inside data are sent as ``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\`` (and ``\\P\\``
for the v2.7 truncation character), written with the message's own escape
character. Formatting commands of FT values become line breaks or vanish;
``\\Xhh..\\`` carries raw bytes, decoded as UTF-8 and, failing that, as
Latin-1 (senders use it for accented letters). Highlighting (``\\H\\``,
``\\N\\``), character-set switches (``\\C..\\``, ``\\M..\\``) and locally defined
``\\Z..\\`` sequences carry no text and are dropped. Anything else, such as
a stray backslash in a Windows path, is kept as sent.
"""

from __future__ import annotations

import string
from functools import lru_cache

from epitrace.labs.ingest.hl7.tokens import Delimiters

_HEX_DIGITS = frozenset(string.hexdigits)
# Formatting commands (FT data type): those that end a line become '\n'.
_LINE_BREAKS = (".br", ".sp", ".ce")
_LAYOUT_ONLY = (".in", ".ti", ".sk", ".fi", ".nf")


def unescape(value: str, delimiters: Delimiters) -> str:
    """Return ``value`` with its escape sequences replaced by the text they stand for."""
    esc = delimiters.escape
    if esc not in value:  # the common case: nothing to do, no allocation
        return value
    parts: list[str] = []
    pending = bytearray()  # consecutive \X..\ sequences decode together (UTF-8 spans them)
    pos = 0
    while (start := value.find(esc, pos)) >= 0:
        end = value.find(esc, start + 1)
        if end < 0:
            break  # an unterminated sequence stays literal
        if start > pos:
            _flush(parts, pending)
            parts.append(value[pos:start])
        sequence = value[start + 1 : end]
        raw = _hex_bytes(sequence)
        if raw is not None:
            pending += raw
        else:
            _flush(parts, pending)
            parts.append(_replacement(sequence, delimiters, value[start : end + 1]))
        pos = end + 1
    _flush(parts, pending)
    parts.append(value[pos:])
    return "".join(parts)


def _replacement(sequence: str, d: Delimiters, literal: str) -> str:
    simple = _delimiter_table(d).get(sequence)
    if simple is not None:
        return simple
    if sequence.startswith(_LINE_BREAKS):
        return "\n"
    if sequence.startswith(_LAYOUT_ONLY):
        return ""
    if sequence[:1] in ("Z", "C", "M") and len(sequence) > 1:
        return ""
    return literal


@lru_cache(maxsize=32)
def _delimiter_table(d: Delimiters) -> dict[str, str]:
    table = {
        "F": d.field,
        "S": d.component,
        "T": d.subcomponent,
        "R": d.repetition,
        "E": d.escape,
        "H": "",
        "N": "",
    }
    if d.truncation:
        table["P"] = d.truncation
    return table


def _hex_bytes(sequence: str) -> bytes | None:
    digits = sequence[1:]
    if sequence[:1] != "X" or not digits or len(digits) % 2 or not _HEX_DIGITS.issuperset(digits):
        return None
    return bytes.fromhex(digits)


def _flush(parts: list[str], pending: bytearray) -> None:
    if not pending:
        return
    try:
        parts.append(pending.decode("utf-8"))
    except UnicodeDecodeError:
        parts.append(pending.decode("latin-1"))
    pending.clear()
