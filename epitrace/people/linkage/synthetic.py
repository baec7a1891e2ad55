"""Synthetic persons with known duplicates, for tests and benchmarks.

Unlike FEBRL, whose duplicates of one person are independent corruptions
of unrelated random fields, these persons live in households: relatives
share a family name, an address and often a phone, and twins share a birth
date too. That is what makes real matching hard (a sibling is not a
duplicate), so the matcher is measured on it as well as on FEBRL.

Duplicates carry the errors seen on lab reports and in registration:
typos, nicknames, exchanged given and family names, transposed or
day-month swapped birth dates, missing values, reformatted phones,
abbreviated streets, and people who moved.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import string
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
TOWNS = Path(__file__).resolve().parents[2] / "jurisdictions" / "data" / "demo_state.csv"
STREETS = TOWNS.with_name("demo_state_streets.txt")
SHORT = {"Street": "St", "Avenue": "Ave", "Road": "Rd", "Drive": "Dr", "Lane": "Ln"}


@dataclass(frozen=True)
class Person:
    """One synthetic record; ``person`` is the truth (same person, same value)."""

    id: str
    person: int
    given_name: str
    family_name: str
    birth_date: str  # ISO, or "" when missing
    sex: str
    phone: str
    street: str
    city: str
    postcode: str
    state: str

    def row(self) -> dict[str, str]:
        return {
            "id": self.id,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "phone": self.phone,
            "street": self.street,
            "city": self.city,
            "postcode": self.postcode,
            "state": self.state,
        }


@cache
def _names() -> tuple[list[str], list[str], list[str]]:
    female, male, family = [], [], []
    for path in sorted((DATA / "names").glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["kind"] == "family":
                    family.append(row["name"])
                elif row["sex"] == "F":
                    female.append(row["name"])
                else:
                    male.append(row["name"])
    return female, male, family


@cache
def _nicknames() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with (DATA / "nicknames.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found.setdefault(row["name"].title(), []).append(row["nickname"].title())
    return found


@cache
def _places() -> tuple[list[tuple[str, str]], list[str]]:
    with TOWNS.open(encoding="utf-8") as handle:
        towns = [(row["town"], row["postcodes"].split()[0]) for row in csv.DictReader(handle)]
    streets = [line.strip() for line in STREETS.read_text().splitlines() if line.strip()]
    return towns, streets


class Generator:
    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (synthetic data, not a secret)
        self.female, self.male, self.family = _names()
        self.towns, self.streets = _places()

    def address(self) -> tuple[str, str, str, str]:
        town, postcode = self.rng.choice(self.towns)
        street = f"{self.rng.randint(1, 400)} {self.rng.choice(self.streets)}"
        return street, town, postcode, "CT" if self.rng.random() < 0.95 else "NY"

    def phone(self) -> str:
        digits = "".join(self.rng.choice(string.digits) for _ in range(7))
        return f"{self.rng.choice(['203', '860', '475', '959'])}{digits}"

    def birth(self, low: int, high: int) -> dt.date:
        return dt.date(low, 1, 1) + dt.timedelta(days=self.rng.randrange((high - low) * 365))

    def household(self, first_person: int) -> list[Person]:
        """A household of one to five: a family name, an address, maybe a landline."""
        rng = self.rng
        size = rng.choice([1, 1, 1, 2, 2, 3, 4, 5])
        family = rng.choice(self.family)
        street, city, postcode, state = self.address()
        shared_phone = self.phone() if rng.random() < 0.5 else ""
        twins_born = self.birth(2000, 2020) if size >= 3 and rng.random() < 0.2 else None
        members = []
        for k in range(size):
            sex = rng.choice("FM")
            given = rng.choice(self.female if sex == "F" else self.male)
            if twins_born and k >= size - 2:
                born = twins_born
            else:
                born = self.birth(1940, 1990) if k < 2 else self.birth(1990, 2022)
            members.append(
                Person(
                    id=f"p{first_person + k}",
                    person=first_person + k,
                    given_name=given,
                    family_name=family if rng.random() < 0.9 else rng.choice(self.family),
                    birth_date=born.isoformat(),
                    sex=sex,
                    phone=shared_phone or self.phone(),
                    street=street,
                    city=city,
                    postcode=postcode,
                    state=state,
                )
            )
        return members

    def duplicate(self, person: Person, serial: int, errors: int) -> Person:
        record = replace(person, id=f"{person.id}-d{serial}")
        for _ in range(errors):
            record = self.rng.choice(_ERRORS)(self, record)
        return record

    def typo(self, value: str) -> str:
        if len(value) < 3:
            return value
        rng = self.rng
        i = rng.randrange(1, len(value) - 1)
        kind = rng.choice("dist")
        if kind == "d":
            return value[:i] + value[i + 1 :]
        if kind == "i":
            return value[:i] + rng.choice(string.ascii_lowercase) + value[i:]
        if kind == "s":
            return value[:i] + rng.choice(string.ascii_lowercase) + value[i + 1 :]
        return value[: i - 1] + value[i] + value[i - 1] + value[i + 1 :]


def _given_typo(g: Generator, p: Person) -> Person:
    return replace(p, given_name=g.typo(p.given_name))


def _family_typo(g: Generator, p: Person) -> Person:
    return replace(p, family_name=g.typo(p.family_name))


def _nickname(g: Generator, p: Person) -> Person:
    options = _nicknames().get(p.given_name)
    return replace(p, given_name=g.rng.choice(options)) if options else _given_typo(g, p)


def _swap_names(g: Generator, p: Person) -> Person:
    return replace(p, given_name=p.family_name, family_name=p.given_name)


def _date_error(g: Generator, p: Person) -> Person:
    if p.birth_date.count("-") != 2:
        return p  # missing, or already made impossible
    y, m, d = p.birth_date.split("-")
    kind = g.rng.choice(["year", "day_month", "digit", "transpose"])
    if kind == "year":
        y = y[:2] + y[3] + y[2]
    elif kind == "day_month":
        m, d = d, m
    elif kind == "digit":
        d = f"{(int(d) % 28) + 1:02d}"
    else:
        d = d[1] + d[0]
    value = f"{y}-{m}-{d}"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        value = f"{y}{m}{d}"  # an impossible date, as sent: read as missing
    return replace(p, birth_date=value)


def _missing(g: Generator, p: Person) -> Person:
    field = g.rng.choice(["birth_date", "phone", "street", "sex", "given_name", "postcode"])
    blanked: dict[str, str] = {field: ""}
    return replace(p, **blanked)  # type: ignore[arg-type]


def _phone_format(g: Generator, p: Person) -> Person:
    if g.rng.random() < 0.3:
        return replace(p, phone=g.phone())  # a new number
    d = p.phone
    return replace(p, phone=f"+1 ({d[:3]}) {d[3:6]}-{d[6:]}" if d else d)


def _street_style(g: Generator, p: Person) -> Person:
    street = p.street
    for long, short in SHORT.items():
        street = street.replace(long, short)
    return replace(p, street=street.upper() if g.rng.random() < 0.5 else street)


def _moved(g: Generator, p: Person) -> Person:
    street, city, postcode, state = g.address()
    return replace(p, street=street, city=city, postcode=postcode, state=state)


def _place_typo(g: Generator, p: Person) -> Person:
    if g.rng.random() < 0.5:
        return replace(p, city=g.typo(p.city))
    return replace(p, postcode=g.typo(p.postcode))


def _upper_case(g: Generator, p: Person) -> Person:
    """As older lab systems send names: capitals, accents dropped."""
    return replace(
        p,
        given_name=_plain(p.given_name).upper(),
        family_name=_plain(p.family_name).upper(),
    )


def _plain(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_ERRORS = (
    _given_typo,
    _family_typo,
    _nickname,
    _swap_names,
    _date_error,
    _date_error,
    _missing,
    _phone_format,
    _street_style,
    _moved,
    _place_typo,
    _upper_case,
)


def population(households: int, *, duplicate_share: float = 0.3, seed: int = 1) -> list[Person]:
    """Persons in households, then duplicates of some of them (1-3 errors
    each), shuffled so that duplicates do not sit next to their original."""
    g = Generator(seed)
    people: list[Person] = []
    for _ in range(households):
        people.extend(g.household(len(people)))
    records = list(people)
    for person in people:
        if g.rng.random() < duplicate_share:
            for serial in range(g.rng.choice([1, 1, 1, 2])):
                records.append(g.duplicate(person, serial, g.rng.choice([1, 1, 2, 2, 3])))
    g.rng.shuffle(records)
    return records
