"""Blocking: which pairs are worth comparing at all.

Comparing every record with every other is quadratic (5e11 pairs at a
million persons). Instead each *pass* gives every record a key, and only
records sharing a key in some pass are compared. Passes are chosen so that
a duplicate survives one typo, missing value or exchange in any field: a
pair is lost only if every pass breaks, e.g. when the birth date, both name
sounds and the postcode are all wrong at once.

A key shared by too many records (a common surname sound in a big city, a
clinic's phone on every report) would explode into millions of pairs; such
a block is sorted by name and each record is compared with its nearest
neighbours only, which keeps likely pairs and bounds the work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from epitrace.people.linkage.record import Record

KeyFunction = Callable[[Record], Iterable[str]]


def _one(value: str) -> tuple[str, ...]:
    return (value,) if value else ()


def _both(a: str, b: str) -> tuple[str, ...]:
    return (a + "|" + b,) if a and b else ()


def _birth_date(r: Record) -> tuple[str, ...]:
    return _one(r.birth)


def _name_sounds(r: Record) -> tuple[str, ...]:
    # Sorted, so a record with given and family names exchanged shares the key.
    if not (r.given.sound and r.family.sound):
        return ()
    return ("/".join(sorted((r.given.sound, r.family.sound))),)


def _name_starts(r: Record) -> tuple[str, ...]:
    # The first letters survive most typos that change a name's sound.
    if not (r.given.key and r.family.key):
        return ()
    return ("/".join(sorted((r.given.key[:3], r.family.key[:3]))),)


def _family_sound_year(r: Record) -> tuple[str, ...]:
    return _both(r.family.sound, r.birth[:4])


def _given_sound_year(r: Record) -> tuple[str, ...]:
    # Family names change with marriage; given name and birth year do not.
    return _both(r.given.sound, r.birth[:4])


def _initials_birth_month(r: Record) -> tuple[str, ...]:
    if not (r.given.key and r.family.key and r.birth):
        return ()
    return (r.given.key[0] + r.family.key[0] + r.birth[:6],)


def _birth_digits_initials(r: Record) -> tuple[str, ...]:
    # The digits of the date in sorted order survive any exchange of two of
    # them (1985/1958, day and month); both initials, in sorted order so a
    # swap of names keeps them, keep the block small.
    if not (r.birth and r.given.key and r.family.key):
        return ()
    return ("".join(sorted(r.birth)) + "".join(sorted(r.given.key[0] + r.family.key[0])),)


def _postcode_family(r: Record) -> tuple[str, ...]:
    return _both(r.postcode, r.family.key[:2])


def _postcode_given(r: Record) -> tuple[str, ...]:
    return _both(r.postcode, r.given.key[:2])


def _postcode_number(r: Record) -> tuple[str, ...]:
    return _both(r.postcode, r.street_number)


def _street(r: Record) -> tuple[str, ...]:
    return _both(r.street_name[:8], r.street_number)


def _street_family(r: Record) -> tuple[str, ...]:
    return _both(r.street_name[:8], r.family.key[:3])


def _city_given(r: Record) -> tuple[str, ...]:
    return _both(r.city, r.given.key[:3])


def _city_family(r: Record) -> tuple[str, ...]:
    return _both(r.city, r.family.key[:3])


def _phones(r: Record) -> tuple[str, ...]:
    return r.phones


def _identifiers(r: Record) -> tuple[str, ...]:
    return tuple(value for _, value in r.identifiers)


@dataclass(frozen=True)
class Pass:
    name: str
    keys: KeyFunction


PASSES: tuple[Pass, ...] = (
    Pass("identifier", _identifiers),
    Pass("phone", _phones),
    Pass("birth_date", _birth_date),
    Pass("name_sounds", _name_sounds),
    Pass("name_starts", _name_starts),
    Pass("family_sound_birth_year", _family_sound_year),
    Pass("given_sound_birth_year", _given_sound_year),
    Pass("initials_birth_month", _initials_birth_month),
    Pass("birth_digits_initials", _birth_digits_initials),
    Pass("postcode_family", _postcode_family),
    Pass("postcode_given", _postcode_given),
    Pass("postcode_number", _postcode_number),
    Pass("street", _street),
    Pass("street_family", _street_family),
    Pass("city_given", _city_given),
    Pass("city_family", _city_family),
)

# Records per block compared all-against-all; larger blocks fall back to the
# sorted neighbourhood of WINDOW records.
MAX_BLOCK = 150
WINDOW = 20


def _index(records: Sequence[Record], keys: KeyFunction) -> dict[str, list[int]]:
    blocks: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        for key in set(keys(record)):  # a key twice would pair a record with itself
            blocks.setdefault(key, []).append(index)
    return blocks


def _sort_key(record: Record) -> str:
    return record.family.key + " " + record.given.key


def dedup_pairs(
    records: Sequence[Record], passes: Sequence[Pass] = PASSES, max_block: int = MAX_BLOCK
) -> set[int]:
    """Candidate pairs within one list, each as ``i * n + j`` with i < j."""
    n = len(records)
    found: set[int] = set()
    for blocking_pass in passes:
        for members in _index(records, blocking_pass.keys).values():
            if len(members) < 2:
                continue
            if len(members) <= max_block:
                found.update(i * n + j for i, j in combinations(members, 2))
                continue
            ordered = sorted(members, key=lambda i: _sort_key(records[i]))
            for position, i in enumerate(ordered):
                for j in ordered[position + 1 : position + 1 + WINDOW]:
                    found.add(min(i, j) * n + max(i, j))
    return found


def link_pairs(
    records_a: Sequence[Record],
    records_b: Sequence[Record],
    passes: Sequence[Pass] = PASSES,
    max_block: int = MAX_BLOCK,
) -> set[int]:
    """Candidate pairs across two lists, each as ``i * len(records_b) + j``."""
    nb = len(records_b)
    found: set[int] = set()
    for blocking_pass in passes:
        blocks_b = _index(records_b, blocking_pass.keys)
        for key, members_a in _index(records_a, blocking_pass.keys).items():
            members_b = blocks_b.get(key)
            if not members_b:
                continue
            if len(members_a) + len(members_b) <= max_block:
                found.update(i * nb + j for i in members_a for j in members_b)
                continue
            found.update(_neighbours(records_a, members_a, records_b, members_b, nb))
    return found


def _neighbours(
    records_a: Sequence[Record],
    members_a: list[int],
    records_b: Sequence[Record],
    members_b: list[int],
    nb: int,
) -> Iterable[int]:
    """Sorted neighbourhood across two lists: each record meets the WINDOW
    nearest records of the other list in name order."""
    merged = sorted(
        [(_sort_key(records_a[i]), 0, i) for i in members_a]
        + [(_sort_key(records_b[j]), 1, j) for j in members_b]
    )
    for position, (_, side, index) in enumerate(merged):
        for _, other_side, other in merged[position + 1 : position + 1 + WINDOW]:
            if other_side != side:
                yield (index * nb + other) if side == 0 else (other * nb + index)
