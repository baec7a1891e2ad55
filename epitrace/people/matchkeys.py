"""Blocking keys of stored persons, so the importer finds candidates by index.

Comparing a report with every person is out of the question at millions of
persons; the partner-file linker blocks in memory (``linkage.blocking``),
the importer blocks in the database. Each person gets a few keys, each
surviving a different kind of error:

- birth date + sound of the family name (given name misspelt, or changed);
- birth date + sound of the given name (family name changed by marriage, or
  misspelt beyond its sound);
- both name sounds, sorted, + birth year (day and month exchanged or
  mistyped; names swapped);
- each phone + sound of the family name (a contact entered without a birth
  date).

A report is compared only with persons sharing one of its keys. Keys are
derived data: a person whose name or birth date changed is re-keyed before
the next match (``Person.save`` clears ``match_keyed``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from django.db import transaction

from epitrace.core.bulkinsert import insert_rows
from epitrace.lib.progress import Progress
from epitrace.people.choices import ContactKind
from epitrace.people.linkage.record import Record, build
from epitrace.people.models import ContactPoint, Person, PersonMatchKey

CHUNK = 5_000
KEYED_FIELDS = ("pk", "given_name", "family_name", "birth_date")


def keys_of(record: Record) -> set[str]:
    """The blocking keys of one record."""
    keys = {phone_key(phone, record) for phone in record.phones} - {""}
    birth = record.birth
    if not birth:
        return keys
    sounds = [name.sound for name in (record.given, record.family) if name.sound]
    for sound in sounds:
        keys.add(f"d{birth}{sound}")
    if len(sounds) == 2:
        low, high = sorted(sounds)
        keys.add(f"y{birth[:4]}{low}/{high}")
    return {key[:48] for key in keys}


def phone_key(phone: str, record: Record) -> str:
    """Phone + family name sound: finds a contact entered without a birth date
    (households share both, so these candidates are scored like any other)."""
    sound = record.family.sound or record.given.sound
    return f"p{phone}{sound}"[:48] if phone and sound else ""


def record_of_row(
    pk: int, given: str, family: str, birth: object, phones: Sequence[str] = ()
) -> Record:
    born = birth if isinstance(birth, (dt.date, str)) else None
    return build(
        str(pk), given_name=given, family_name=family, birth_date=born, phones=list(phones)
    )


def key_rows(person_id: int, record: Record) -> list[PersonMatchKey]:
    return [PersonMatchKey(person_id=person_id, key=key) for key in sorted(keys_of(record))]


def index_pending(progress: Progress | None = None) -> int:
    """Key every person not keyed yet (new, edited, or from before keys
    existed); returns how many. One indexed query when nothing is pending."""
    done = 0
    while count := _index_chunk():
        done += count
        if progress is not None:
            progress.advance(count)
    return done


@transaction.atomic
def _index_chunk() -> int:
    # Locked while keyed, so an edit saved meanwhile waits and then clears
    # the flag again rather than being marked keyed with stale keys.
    rows = list(
        Person.objects.select_for_update()
        .filter(match_keyed=False)
        .order_by("pk")
        .values_list(*KEYED_FIELDS)[:CHUNK]
    )
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    phones: dict[int, list[str]] = defaultdict(list)
    for person_id, value in ContactPoint.objects.filter(
        person_id__any=ids, kind=ContactKind.PHONE
    ).values_list("person_id", "value"):
        phones[person_id].append(value)
    PersonMatchKey.objects.filter(person_id__any=ids).delete()
    insert_rows(PersonMatchKey, ("person", "key"), list(_rows(rows, phones)))
    Person.objects.filter(pk__any=ids).update(match_keyed=True)
    return len(rows)


def _rows(
    rows: Iterable[tuple[int, str, str, object]], phones: dict[int, list[str]]
) -> Iterator[tuple[int, str]]:
    for pk, given, family, birth in rows:
        record = record_of_row(pk, given, family, birth, phones.get(pk, ()))
        yield from ((pk, key) for key in sorted(keys_of(record)))
