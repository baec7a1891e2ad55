"""Blocking keys of stored persons, so the importer finds candidates by index.

Comparing a report with every person is out of the question at millions of
persons; the partner-file linker blocks in memory (``linkage.blocking``),
the importer blocks in the database. Each person gets a few keys, each
surviving a different kind of error:

- birth date + sound of the family name (given name misspelt, or changed);
- birth date + sound of the given name (family name changed by marriage, or
  misspelt beyond its sound);
- both name sounds, sorted, + birth year (day and month exchanged or
  mistyped; names swapped).

A report is compared only with persons sharing one of its keys. Keys are
derived data: a person whose name or birth date changed is re-keyed before
the next match (``Person.save`` clears ``match_keyed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import transaction

from epitrace.core.bulkinsert import insert_rows
from epitrace.lib.progress import Progress
from epitrace.people.linkage.record import Record, build
from epitrace.people.models import Person, PersonMatchKey

CHUNK = 5_000
KEYED_FIELDS = ("pk", "given_name", "family_name", "birth_date")


def keys_of(record: Record) -> set[str]:
    """The blocking keys of one record (none without a birth date)."""
    birth = record.birth
    if not birth:
        return set()
    keys = set()
    sounds = [name.sound for name in (record.given, record.family) if name.sound]
    for sound in sounds:
        keys.add(f"d{birth}{sound}")
    if len(sounds) == 2:
        low, high = sorted(sounds)
        keys.add(f"y{birth[:4]}{low}/{high}")
    return {key[:48] for key in keys}


def record_of_row(pk: int, given: str, family: str, birth: object) -> Record:
    return build(str(pk), given_name=given, family_name=family, birth_date=birth)  # type: ignore[arg-type]


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
    PersonMatchKey.objects.filter(person_id__any=ids).delete()
    insert_rows(PersonMatchKey, ("person", "key"), list(_rows(rows)))
    Person.objects.filter(pk__any=ids).update(match_keyed=True)
    return len(rows)


def _rows(rows: Iterable[tuple[int, str, str, object]]) -> Iterator[tuple[int, str]]:
    for pk, given, family, birth in rows:
        record = record_of_row(pk, given, family, birth)
        yield from ((pk, key) for key in sorted(keys_of(record)))
