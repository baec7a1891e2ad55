"""Person CSV files in, pair CSV files out (``epitrace match``).

Partners send whatever headers their system exports, so columns are found
in three ways, first hit wins: ``--map ours=theirs`` (``theirs`` may join
several columns with ``+``, as in ``street=street_number+address_1``); our
own name; a common alternative name (``surname``, ``dob``, ``zip``...).
Every column is optional: a file without phones is matched without them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from epitrace.people.linkage.record import COLUMNS, Record, from_row

# Not a column of our files, but a common one in others: put in front of the
# street (unless the street already starts with it), even when the street
# itself comes from --map.
STREET_NUMBER = "street_number"
TARGETS = (*COLUMNS, STREET_NUMBER)

# Recognised when our own name is absent. The identifier is deliberately
# not guessed: it decides pairs outright, so it must be named.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("rec_id", "record_id", "unique_id", "person_id", "patient_id"),
    "given_name": ("first_name", "firstname", "given", "forename", "first"),
    "family_name": ("surname", "last_name", "lastname", "family", "last"),
    "birth_date": ("dob", "date_of_birth", "birthdate"),
    "sex": ("gender",),
    "phone": ("phone_number", "telephone", "tel", "mobile"),
    "street": ("address", "address_1", "address1", "address_line_1", "street_address"),
    STREET_NUMBER: ("street_number", "house_number", "street_no"),
    "unit": ("address_2", "address2", "address_line_2", "apartment"),
    "city": ("suburb", "town", "locality", "municipality"),
    "postcode": ("zip", "zipcode", "zip_code", "postal_code", "postalcode"),
    "state": ("province",),
}


class UsageError(ValueError):
    """The command line asks for something impossible (exit status 2)."""


class InputError(ValueError):
    """A file cannot be read as a person CSV (exit status 1)."""


@dataclass
class PersonFile:
    path: Path
    ids: list[str]
    records: list[Record]
    columns: dict[str, list[str]] = field(default_factory=dict)  # ours -> theirs used
    skipped_rows: int = 0  # rows with no value at all


def parse_map(text: str | None) -> dict[str, list[str]]:
    """``given_name=first,street=number+line1`` -> {ours: [theirs...]}."""
    mapping: dict[str, list[str]] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        ours, sep, theirs = item.partition("=")
        ours = ours.strip()
        sources = [name.strip() for name in theirs.split("+") if name.strip()]
        if not sep or not sources:
            raise UsageError(f"--map entry {item.strip()!r} is not of the form ours=theirs")
        if ours not in TARGETS:
            raise UsageError(f"--map: unknown column {ours!r} (known: {', '.join(TARGETS)})")
        mapping[ours] = sources
    return mapping


def read_header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle, skipinitialspace=True), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    if not header or not any(name.strip() for name in header):
        raise InputError(f"{path}: no header line")
    return [name.strip() for name in header]


def check_map(mapping: Mapping[str, list[str]], headers: Iterable[Sequence[str]]) -> None:
    """A mapped column found in none of the files is a typo on the command line."""
    seen = {name.casefold() for header in headers for name in header}
    for ours, sources in mapping.items():
        for source in sources:
            if source.casefold() not in seen:
                raise UsageError(f"--map {ours}={source}: no column {source!r} in the input")


def resolve(header: Sequence[str], mapping: Mapping[str, list[str]]) -> dict[str, list[int]]:
    """Our column -> positions of the file's columns that make it up."""
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        position.setdefault(name, index)
        position.setdefault(name.casefold(), index)

    def at(name: str) -> int:
        return position.get(name, position.get(name.casefold(), -1))

    found: dict[str, list[int]] = {}
    for ours in TARGETS:
        mapped = [at(name) for name in mapping.get(ours, [])]
        if mapped and all(i >= 0 for i in mapped):
            found[ours] = mapped
            continue
        # The map may name another file's columns (A and B differ): this
        # file then goes by our names and the common alternatives.
        if ours == STREET_NUMBER and set(found.get("street", ())) & {
            at(name) for name in ALIASES[STREET_NUMBER]
        }:
            continue  # the mapped street already takes its number from there
        for name in (ours, *ALIASES.get(ours, ())):
            if at(name) >= 0:
                found[ours] = [at(name)]
                break
    return found


def read_persons(path: Path, mapping: Mapping[str, list[str]]) -> PersonFile:
    header = read_header(path)
    columns = resolve(header, mapping)
    ids: list[str] = []
    records: list[Record] = []
    skipped = 0
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            next(reader, None)
            for number, cells in enumerate(reader, start=1):
                row = _row(cells, columns)
                if not any(value for key, value in row.items() if key != "id"):
                    skipped += 1  # a blank line or a row of empty cells
                    continue
                record_id = row.get("id") or str(number)
                ids.append(record_id)
                records.append(from_row(record_id, row))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    used = {ours: [header[i] for i in indexes] for ours, indexes in columns.items()}
    return PersonFile(path, ids, records, used, skipped)


def _row(cells: list[str], columns: Mapping[str, list[int]]) -> dict[str, str]:
    row: dict[str, str] = {}
    for ours, indexes in columns.items():
        parts = [cells[i].strip() for i in indexes if i < len(cells)]
        row[ours] = " ".join(part for part in parts if part)
    number = row.pop(STREET_NUMBER, "")
    street = row.get("street", "")
    if number and not street.startswith(number):
        row["street"] = f"{number} {street}".strip()
    return row


def write_pairs(path: Path, rows: Iterable[tuple[str, str, float, str]]) -> int:
    """``id_a,id_b,score,decision``, score with four decimals; returns the count."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id_a", "id_b", "score", "decision"])
        for id_a, id_b, score, decision in rows:
            writer.writerow([id_a, id_b, f"{score:.4f}", decision])
            written += 1
    return written
