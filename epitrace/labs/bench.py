"""``epitrace bench ingest``: how fast lab messages go in, measured in one run.

1. The database gets ``persons`` persons when it has fewer (bulk inserts).
2. ``messages`` realistic ORU^R01 messages are written to a file: 30% about
   persons already in the database, with the variations real feeds have
   (upper-case names, extra spaces, a new phone or address), 20% positive.
3. Three timings on the same messages: parsing only; the full pipeline,
   through exactly the code of ``epitrace import``; and a raw COPY
   (PostgreSQL) or executemany (SQLite) of the same result rows into a
   scratch table, the ceiling a pipeline could reach.
Run it on a database made for it: the imported results stay.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from epitrace.accounts.scope import system_user
from epitrace.cases.models import Case
from epitrace.core.bulkinsert import insert_rows
from epitrace.jurisdictions.models import Town
from epitrace.labs.ingest import reading
from epitrace.labs.ingest.files import import_files, settle_heap
from epitrace.labs.ingest.formats import get_format
from epitrace.labs.ingest.synthetic import MessageFactory, SyntheticPerson, batch_file
from epitrace.labs.models import IngestKey, LabResult, RawMessage
from epitrace.lib.progress import Progress
from epitrace.people.matchkeys import index_pending, keys_of, record_of_row
from epitrace.people.models import ContactPoint, Person, PersonIdentifier, PersonMatchKey
from epitrace.seed.services import ensure_demo_jurisdictions
from epitrace.seed.writer import BulkWriter

EXISTING_SHARE = 0.3
POSITIVE_SHARE = 0.2
FILL_BATCH = 20_000


@dataclass
class IngestFigures:
    messages: int
    parse_msgs_per_s: float
    pipeline_msgs_per_s: float
    copy_rows_per_s: float
    ratio: float
    peak_rss_mb: float
    persons_matched: int
    persons_created: int
    cases_created: int
    planted_matches: int
    database: str


def run(messages: int, persons: int, seed: int = 5) -> IngestFigures:
    ensure_demo_jurisdictions()
    towns = list(Town.objects.values_list("name", "postal_codes__code").exclude(postal_codes=None))
    state = _state_code()
    fill_persons(MessageFactory(seed=seed, towns=towns, state=state), persons)
    _key_persons()
    _analyze()
    # Another seed for the messages: the fill's own sequence would repeat the
    # persons already stored (a second run fills nothing) and count them as
    # new; and one per run, or a second run would send the first's messages.
    run_seed = seed + 7_919 + RawMessage.objects.count()
    factory = MessageFactory(seed=run_seed, towns=towns, state=state)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.hl7"
        planted = write_messages(path, factory, messages, run_seed)
        parse_rate = _parse_rate(path)
        settle_heap()  # as `epitrace import` does
        started = time.monotonic()
        summary = import_files([path], actor=system_user(), source="bench")
        pipeline_rate = summary.received / (time.monotonic() - started)
        copy_rate = _copy_rate(path)
    return IngestFigures(
        messages=messages,
        parse_msgs_per_s=round(parse_rate, 1),
        pipeline_msgs_per_s=round(pipeline_rate, 1),
        copy_rows_per_s=round(copy_rate, 1),
        ratio=round(pipeline_rate / copy_rate, 4) if copy_rate else 0.0,
        peak_rss_mb=round(_peak_rss_mb(), 1),
        persons_matched=summary.persons_matched,
        persons_created=summary.persons_created,
        cases_created=summary.cases_created,
        planted_matches=planted,
        database=connection.vendor,
    )


def _key_persons() -> None:
    """Blocking keys for persons that have none yet (bulk-filled ones), before timing."""
    pending = Person.objects.filter(match_keyed=False).count()
    if pending:
        progress = Progress(pending, "keying persons for the matcher")
        index_pending(progress)
        progress.finish()


# The tables the importer reads by index, whose planner statistics must be current.
ANALYZED = (Person, PersonMatchKey, PersonIdentifier, ContactPoint, Case, LabResult, IngestKey)


def _analyze() -> None:
    """Fresh planner statistics before timing, as autovacuum keeps them in service.

    A database just bulk-filled (or one where autovacuum is off, as on some
    test servers) has none: PostgreSQL then estimates a lookup of a batch's
    few thousand blocking keys at a large share of the table and scans all of
    it, once per batch, which measures the missing statistics, not the importer.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in ANALYZED:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _state_code() -> str:
    from epitrace.jurisdictions.models import Jurisdiction

    return Jurisdiction.objects.root().state_code


def fill_persons(factory: MessageFactory, wanted: int) -> None:
    """Bulk-insert synthetic persons until the database holds ``wanted``."""
    have = Person.objects.count()
    missing = max(wanted - have, 0)
    if not missing:
        return
    jurisdictions = dict(Town.objects.values_list("name", "jurisdiction_id"))
    from epitrace.jurisdictions.models import Jurisdiction

    root = Jurisdiction.objects.root().pk
    writer = BulkWriter()
    next_id = writer.next_id(Person)
    progress = Progress(missing, "adding persons")
    now = dt.datetime.now(dt.UTC)
    for start in range(0, missing, FILL_BATCH):
        rows: list[dict[str, Any]] = []
        keys: list[tuple[int, str]] = []
        for offset in range(min(FILL_BATCH, missing - start)):
            person = factory.person()
            pk = next_id + start + offset
            rows.append(_person_row(pk, person, jurisdictions, root, now))
            # Keyed as the importer keys the persons it creates (matchkeys.py).
            record = record_of_row(pk, person.given, person.family, person.birth)
            keys.extend((pk, key) for key in sorted(keys_of(record)))
        with transaction.atomic():
            writer.write(Person, rows)
            insert_rows(PersonMatchKey, ("person", "key"), keys)
        progress.advance(len(rows))
    progress.finish()
    writer.reset_sequences([Person])


def _person_row(
    pk: int, p: SyntheticPerson, jurisdictions: dict[str, int], root: int, now: Any
) -> dict[str, Any]:
    return {
        "id": pk, "created_at": now, "updated_at": now, "given_name": p.given,
        "family_name": p.family, "birth_date": p.birth, "sex": p.sex, "street": p.street,
        "city": p.city, "state": p.state, "postcode": p.postcode, "preferred_language": "en",
        "address_status": "resolved" if p.city in jurisdictions else "unknown",
        "jurisdiction_id": jurisdictions.get(p.city, root), "match_keyed": True,
    }  # fmt: skip


def write_messages(path: Path, factory: MessageFactory, count: int, seed: int) -> int:
    """The batch file; returns how many messages name a person already stored."""
    rng = random.Random(seed)
    top = Person.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    planted = 0
    start = dt.datetime(2026, 1, 5, 8, tzinfo=dt.timezone(dt.timedelta(hours=-5)))

    def messages() -> Iterator[str]:
        nonlocal planted
        for i in range(count):
            person = None
            if top and rng.random() < EXISTING_SHARE:
                person = _existing(rng, top)
            if person is not None:
                planted += 1
            else:
                person = factory.person()
            when = start + dt.timedelta(seconds=17 * i)
            yield factory.message(person, positive=rng.random() < POSITIVE_SHARE, collected=when)

    with path.open("wb") as handle:
        handle.write(batch_file(messages()))
    return planted


def _existing(rng: random.Random, top: int) -> SyntheticPerson | None:
    row = (
        Person.objects.filter(pk__gte=rng.randint(1, top), birth_date__isnull=False)
        .order_by("pk")
        .values_list(
            "family_name", "given_name", "birth_date", "sex", "street", "city", "state", "postcode"
        )
        .first()
    )
    if row is None:
        return None
    family, given, birth, sex, street, city, state, postcode = row
    # The variations feeds have: capitals, stray spaces, a new phone, a new street.
    variant = rng.randrange(4)
    if variant == 0:
        family, given = family.upper(), given.upper()
    elif variant == 1:
        family = f" {family} "
    elif variant == 2:
        street = f"{rng.randint(1, 999)} Main Street"
    phone = f"860{rng.randint(200, 989)}{rng.randint(0, 9999):04d}"
    return SyntheticPerson(family, given, birth, sex, street, city, state, postcode, phone, "")


def _parse_rate(path: Path) -> float:
    fmt = get_format("hl7")
    started = time.monotonic()
    count = 0
    for item in fmt.split(path.read_bytes()):
        fmt.parse(item.text)
        count += 1
    return count / (time.monotonic() - started)


def _copy_rate(path: Path) -> float:
    """The same result rows, raw, into a scratch table: the ceiling."""
    fmt = get_format("hl7")
    rows = []
    for item in fmt.split(path.read_bytes()):
        report = fmt.parse(item.text)
        for r in report.results:
            rows.append((report.control_id, r.test_code, r.value, r.value_code, r.status,
                         str(r.specimen_collected_at), r.performing_lab_id))  # fmt: skip
    columns = "control_id, test_code, value, value_code, status, collected, lab"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE bench_copy ({', '.join(c + ' text' for c in columns.split(', '))})"
        )
        started = time.monotonic()
        if connection.vendor == "postgresql":
            raw = connection.connection
            assert raw is not None
            with raw.cursor() as pg, pg.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO bench_copy ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)", rows
            )
        elapsed = time.monotonic() - started
        cursor.execute("DROP TABLE bench_copy")
    return len(rows) / elapsed if elapsed else 0.0


def _peak_rss_mb() -> float:
    """The largest resident memory of the bench and of its parsing workers."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children, reading.worker_peak_kb) / 1024  # Linux reports kilobytes
