"""Tokenising: one HL7 v2 message text -> segments -> fields -> repetitions ->
components -> subcomponents, nothing more.

This module is the only one that knows which library splits the text. The
extraction modules (``segments``, ``patient``, ``results``) read the regular
nested lists of :class:`Segment` and never see a python-hl7 object, so a
faster tokenizer can replace :func:`tokenize_with_python_hl7` as long as it
returns the same :class:`Tokens` (which makes a differential test against
python-hl7 a one-liner: compare the two ``Tokens``).

Values stay raw: escape sequences are undone later by ``escapes.unescape``
with the message's own :class:`Delimiters`, because only the reader of a
field knows whether it needs the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import hl7

# field -> repetitions -> components -> subcomponents (raw, still escaped)
Component = list[str]
Repetition = list[Component]
Field = list[Repetition]

_SEGMENT_SEPARATOR = "\r"


class TokenizeError(Exception):
    """The text cannot be split into HL7 segments; ``str(exc)`` says why."""


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The message's own separators, from MSH-1 and MSH-2."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str = ""  # v2.7+ fifth encoding character, usually '#'


@dataclass(slots=True)
class Segment:
    """One segment; ``fields[n]`` is SEG-n (for MSH too: MSH-1 is the field
    separator, MSH-2 the encoding characters), ``fields[0]`` holds the name."""

    name: str
    fields: list[Field]


@dataclass(slots=True)
class Tokens:
    delimiters: Delimiters
    segments: list[Segment]


# What every tokenizer is: message text (segments separated by '\r') -> Tokens,
# raising TokenizeError when the text is not HL7.
Tokenizer = Callable[[str], Tokens]


def read_delimiters(text: str) -> Delimiters:
    """Read MSH-1 and MSH-2 (HL7 v2 section 2.5.4), refusing what would make
    the rest of the message ambiguous: fewer than four encoding characters,
    a character used twice, letters, digits or whitespace as separators."""
    if not text.startswith("MSH"):
        raise TokenizeError("the message does not start with an MSH segment")
    if len(text) < 4:
        raise TokenizeError("the MSH segment ends before its field separator (MSH-1)")
    field = text[3]
    end = text.find(field, 4)
    if end < 0:
        end = text.find(_SEGMENT_SEPARATOR, 4)
        if end < 0:
            end = len(text)
    encoding = text[4:end]
    chars = field + encoding
    if (
        len(encoding) not in (4, 5)
        or len(set(chars)) != len(chars)
        or any(c.isalnum() or c.isspace() for c in chars)
    ):
        raise TokenizeError(f"bad encoding characters in MSH-1/MSH-2: {chars!r}")
    return Delimiters(
        field=field,
        component=encoding[0],
        repetition=encoding[1],
        escape=encoding[2],
        subcomponent=encoding[3],
        truncation=encoding[4] if len(encoding) == 5 else "",
    )


def tokenize_with_python_hl7(text: str) -> Tokens:
    """Split ``text`` with python-hl7 (``hl7.parse``) and normalise its uneven
    containers into :class:`Segment` lists. Anything python-hl7 raises
    becomes a :class:`TokenizeError`."""
    delimiters = read_delimiters(text)
    try:
        message = hl7.parse(text)
        segments = [_segment(seg) for seg in message]
    except Exception as exc:  # python-hl7 raises bare IndexError/ValueError/AssertionError too
        raise TokenizeError(f"python-hl7 could not split the message ({exc!r})") from exc
    return Tokens(delimiters, segments)


def tokenize_split(text: str) -> Tokens:
    """Split ``text`` with ``str.split`` at each level: the same tokens as
    python-hl7 (differential tests: test_hl7_tokens.py), about seven times
    faster, which the importer's throughput needs."""
    d = read_delimiters(text)
    field_sep, rep, comp, sub = d.field, d.repetition, d.component, d.subcomponent
    segments = []
    for line in text.split(_SEGMENT_SEPARATOR):
        if line.startswith("MSH"):
            end = line.find(field_sep, 4)
            end = len(line) if end < 0 else end
            fields: list[Field] = [[[["MSH"]]], [[[field_sep]]], [[[line[4:end]]]]]
            # Nothing after MSH-2's separator is no field at all (as python-hl7 has it).
            if end + 1 < len(line):
                fields += [
                    _split_field(f, rep, comp, sub) for f in line[end + 1 :].split(field_sep)
                ]
        else:
            fields = [_split_field(f, rep, comp, sub) for f in line.split(field_sep)]
        segments.append(Segment(fields[0][0][0][0], fields))
    return Tokens(d, segments)


def _split_field(text: str, rep: str, comp: str, sub: str) -> Field:
    # Most fields are plain values or a few components: skip the levels they lack.
    if rep not in text:
        if comp not in text:
            return [[text.split(sub) if sub in text else [text]]]
        return [[c.split(sub) if sub in c else [c] for c in text.split(comp)]]
    return [[c.split(sub) for c in r.split(comp)] for r in text.split(rep)]


tokenize: Tokenizer = tokenize_split


# python-hl7 puts a plain str where a level has no separator (Field(['x']),
# Repetition(['x'])) and a container otherwise; flatten that to fixed depth.
# Its containers index through a Python-level __getitem__, so they are only
# iterated here (list(...) copies at C speed).
def _segment(seg: Iterable[object]) -> Segment:
    fields = [_field(f) for f in seg]
    name = fields[0][0][0][0] if fields and fields[0] else ""
    return Segment(name, fields)


def _field(field: object) -> Field:
    if isinstance(field, str):
        return [[[field]]]
    assert isinstance(field, list)
    reps = list(field)
    if len(reps) == 1 and isinstance(reps[0], str):
        return [[reps]]
    return [_repetition(rep) for rep in reps]


def _repetition(rep: object) -> Repetition:
    if isinstance(rep, str):
        return [[rep]]
    assert isinstance(rep, list)
    comps = list(rep)
    if len(comps) == 1 and isinstance(comps[0], str):
        return [comps]
    return [_component(comp) for comp in comps]


def _component(comp: object) -> Component:
    if isinstance(comp, str):
        return [comp]
    assert isinstance(comp, list)
    return [str(sub) for sub in comp]
