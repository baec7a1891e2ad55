"""Free-text search rules shared by the case list and the person search.

Staff type what they have in front of them: a case number read over the
phone ("C-0000123", or just "123"), a name ("maria alv"), or the
"Family, Given" form lab reports and line lists use. Names match by
case-insensitive prefix so a partial spelling still finds the person.
"""

from __future__ import annotations

import re

import phonenumbers
from django.db.models import Q

# "C-0000123", "c 123", "C0000123" or bare digits.
_CASE_NUMBER = re.compile(r"^\s*(?:[cC]\s*-?\s*)?0*(\d{1,12})\s*$")

# Phone numbers are stored in E.164; staff type them in any national format.
PHONE_REGION = "US"


def case_number_pk(text: str) -> int | None:
    """The case id a typed case number refers to, or None if it is not one."""
    match = _CASE_NUMBER.match(text)
    return int(match.group(1)) if match else None


def name_q(text: str, prefix: str = "") -> Q:
    """Match persons whose names start with the typed words.

    ``prefix`` is the path to the person from the queried model
    (``"person__"`` for cases). One word matches a family or a given name;
    two or more words match given-then-family or family-then-given, so
    "Ana Silva" and "Silva Ana" find the same person.
    """
    family, given = f"{prefix}family_name__istartswith", f"{prefix}given_name__istartswith"
    if "," in text:
        last, _, first = text.partition(",")
        query = Q(**{family: last.strip()}) if last.strip() else Q()
        return query & Q(**{given: first.strip()}) if first.strip() else query
    words = text.split()
    if not words:
        return Q()
    if len(words) == 1:
        return Q(**{family: words[0]}) | Q(**{given: words[0]})
    first, last = words[0], " ".join(words[1:])
    head, tail = " ".join(words[:-1]), words[-1]
    return (Q(**{given: first}) & Q(**{family: last})) | (Q(**{family: head}) & Q(**{given: tail}))


def case_search_q(text: str) -> Q:
    """A case number or the case person's name."""
    pk = case_number_pk(text)
    if pk is not None:
        return Q(pk=pk)
    return name_q(text, prefix="person__")


def normalise_phone(text: str, region: str = PHONE_REGION) -> str | None:
    """The E.164 form of a typed phone number, or None if it cannot be one."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
