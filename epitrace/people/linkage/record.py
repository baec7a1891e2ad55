"""The person record the matcher compares: every field normalised once.

A record is built from raw strings (a CSV row) or from a parsed lab report's
:class:`~epitrace.labs.ingest.report.Patient`; nothing else in the linkage
package looks at raw values, so a sender's spelling habits (capitals,
accents, "St" for "Street", +1 prefixes) never reach the scoring.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from epitrace.labs.ingest.report import Patient
from epitrace.people.linkage import text

# The columns a person CSV may have (docs/matching.md); all are optional.
COLUMNS = (
    "id",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "phone",
    "street",
    "unit",
    "city",
    "postcode",
    "state",
    "identifier",
    "identifier_authority",
)


@dataclass(slots=True)
class Name:
    """One folded name with the keys its comparisons and blocking use."""

    text: str = ""  # folded, words separated by one space
    key: str = ""  # folded without spaces: "mc donald" = "mcdonald"
    sound: str = ""  # metaphone
    sound2: str = ""  # NYSIIS, which catches vowel-led variants metaphone splits

    @classmethod
    def of(cls, raw: str) -> Name:
        folded = text.fold(raw)
        if not folded:
            return _NO_NAME
        return cls(folded, folded.replace(" ", ""), text.phonetic(folded), text.nysiis(folded))


_NO_NAME = Name()


@dataclass(slots=True)
class Record:
    id: str
    given: Name = field(default_factory=Name)
    family: Name = field(default_factory=Name)
    formal: frozenset[str] = frozenset()  # formal names the given name may be short for
    birth: str = ""  # YYYYMMDD, "" when missing or invalid
    sex: str = ""  # M, F or "" (unknown is not evidence)
    phones: tuple[str, ...] = ()  # last ten digits
    street_number: str = ""
    street_name: str = ""  # folded, abbreviations spelled out, no spaces
    unit: str = ""
    city: str = ""
    postcode: str = ""
    state: str = ""
    # (assigning authority, value); a CSV column is its own authority.
    identifiers: tuple[tuple[str, str], ...] = ()

    @property
    def birth_date(self) -> dt.date | None:
        if not self.birth:
            return None
        return dt.date(int(self.birth[:4]), int(self.birth[4:6]), int(self.birth[6:]))


def build(
    record_id: str,
    *,
    given_name: str = "",
    family_name: str = "",
    birth_date: dt.date | str | None = None,
    sex: str = "",
    phones: tuple[str, ...] | list[str] = (),
    street: str = "",
    unit: str = "",
    city: str = "",
    postcode: str = "",
    state: str = "",
    identifiers: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
) -> Record:
    if isinstance(birth_date, str):
        birth_date = text.parse_date(birth_date)
    given = Name.of(given_name)
    number, name = text.split_street(street)
    return Record(
        id=record_id,
        given=given,
        family=Name.of(family_name),
        formal=text.formal_names(given.text) if given.text else frozenset(),
        birth=birth_date.strftime("%Y%m%d") if birth_date else "",
        sex=text.sex_key(sex),
        phones=tuple(key for key in map(text.phone_key, phones) if key),
        street_number=number,
        street_name=name,
        unit=text.words(unit, text.STREET_WORDS).replace(" ", ""),
        city=text.words(city, text.PLACE_WORDS),
        postcode=text.postcode_key(postcode),
        state=text.state_key(state),
        identifiers=tuple(
            (text.fold(authority), key)
            for authority, value in identifiers
            if (key := text.identifier_key(value))
        ),
    )


def from_row(record_id: str, row: Mapping[str, str]) -> Record:
    """A record from a CSV row keyed by :data:`COLUMNS` (absent keys are missing)."""
    get = row.get
    identifier = get("identifier") or ""
    return build(
        record_id,
        given_name=get("given_name") or "",
        family_name=get("family_name") or "",
        birth_date=text.parse_date(get("birth_date") or ""),
        sex=get("sex") or "",
        phones=[get("phone") or ""],
        street=get("street") or "",
        unit=get("unit") or "",
        city=get("city") or "",
        postcode=get("postcode") or "",
        state=get("state") or "",
        identifiers=[(get("identifier_authority") or "", identifier)] if identifier else [],
    )


def from_patient(record_id: str, patient: Patient) -> Record:
    """A record from a parsed lab report, as the importer will build it."""
    return build(
        record_id,
        given_name=patient.given_name,
        family_name=patient.family_name,
        birth_date=patient.birth_date,
        sex=patient.sex,
        phones=patient.phones,
        street=patient.street,
        unit=patient.unit,
        city=patient.city,
        postcode=patient.postcode,
        state=patient.state,
        identifiers=[(i.authority, i.value) for i in patient.identifiers if i.value],
    )
