"""The placeholders a letter template may use, and how they are checked and filled.

A placeholder is a name in braces, ``{person_name}``. Administrators write
templates, so the syntax is deliberately this small: no expressions, no
filters, nothing that could reach beyond the values listed here. Each value
is prepared by the service that renders the letter (dates already formatted
for the letter's language), and a template may only use the placeholders that
have a value for its kind of letter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from epitrace.letters.choices import LetterKind

_ALL = frozenset(LetterKind)
_TOKEN = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Placeholder:
    name: str
    description: Promise
    kinds: frozenset[LetterKind] = _ALL

    @property
    def token(self) -> str:
        return "{" + self.name + "}"


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("person_name", _("The person's full name.")),
    Placeholder("letter_date", _("The date the letter is printed.")),
    Placeholder("department_name", _("The health department's name (the record's jurisdiction).")),
    Placeholder(
        "department_phone",
        _("The health department's phone number (or its parent department's)."),
    ),
    Placeholder(
        "department_email",
        _("The health department's email address (or its parent department's)."),
    ),
    Placeholder(
        "start_date",
        _("First day of the isolation, or the last exposure date for a quarantine."),
    ),
    Placeholder("end_date", _("Last day of the isolation or quarantine.")),
    Placeholder(
        "isolation_start",
        _("First day of the case's isolation."),
        frozenset({LetterKind.ISOLATION}),
    ),
    Placeholder(
        "isolation_end", _("Last day of the case's isolation."), frozenset({LetterKind.ISOLATION})
    ),
    Placeholder(
        "last_exposure_date",
        _("The contact's last exposure to the case."),
        frozenset({LetterKind.QUARANTINE}),
    ),
    Placeholder(
        "quarantine_end",
        _("Last day of the contact's quarantine."),
        frozenset({LetterKind.QUARANTINE}),
    ),
)
BY_NAME = {placeholder.name: placeholder for placeholder in PLACEHOLDERS}


def available(kind: str) -> list[Placeholder]:
    """The placeholders a template of ``kind`` may use, in the order they are listed."""
    return [placeholder for placeholder in PLACEHOLDERS if kind in placeholder.kinds]


def used(text: str) -> list[str]:
    """The placeholder names ``text`` uses, in order of first use (unknown ones included)."""
    return list(dict.fromkeys(match.group(1).strip() for match in _TOKEN.finditer(text)))


def problems(text: str, kind: str) -> list[str]:
    """What is wrong with the placeholders of ``text`` for a letter of ``kind``; [] if nothing."""
    found: list[str] = []
    label = LetterKind(kind).label
    for name in used(text):
        placeholder = BY_NAME.get(name)
        if placeholder is None:
            found.append(
                gettext("Unknown placeholder {%(name)s}: use one of the placeholders listed.")
                % {"name": name}
            )
        elif kind not in placeholder.kinds:
            found.append(
                gettext("{%(name)s} has no value in a letter of kind “%(kind)s”.")
                % {"name": name, "kind": label}
            )
    stray = _TOKEN.sub("", text)
    if "{" in stray or "}" in stray:
        found.append(
            gettext("A brace is not closed: write placeholders as {name}, with both braces.")
        )
    return found


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced; every one used must have a value."""
    return _TOKEN.sub(lambda match: values[match.group(1).strip()], text)
