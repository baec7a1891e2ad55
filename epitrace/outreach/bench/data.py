"""The benchmark's monitorees: persons with a phone, half cases in isolation, half contacts.

Inserted in bulk (COPY on PostgreSQL) when the database holds fewer than
asked. Their phone numbers are in a range no carrier uses (+1 999), which
also marks them as the benchmark's own. Every run moves them to a time zone
where it is now the middle of the send window ("fixing the clock"), and
clears their earlier check-in rows so the day's outbox is built afresh.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import Disease, DiseaseProfile
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.lib.progress import Progress
from epitrace.outreach import conf
from epitrace.outreach.choices import Purpose
from epitrace.outreach.models import CheckInAnswer, InboundMessage, OutboxMessage
from epitrace.people.models import ContactPoint, Person
from epitrace.seed.writer import BulkWriter

PHONE_PREFIX = "+1999"
BATCH = 20_000
SPANISH_SHARE = 0.15


def bench_phone(number: int) -> str:
    return f"{PHONE_PREFIX}{number:08d}"


def bench_person_ids_sql() -> str:
    table = ContactPoint._meta.db_table
    return f"SELECT person_id FROM {table} WHERE value LIKE '{PHONE_PREFIX}%%'"  # noqa: S608


def count_monitorees() -> int:
    return ContactPoint.objects.filter(value__startswith=PHONE_PREFIX).count()


def ensure_monitorees(wanted: int, zone: str, say: Any) -> int:
    """Add bench monitorees until there are ``wanted``; returns how many were added."""
    have = count_monitorees()
    missing = max(wanted - have, 0)
    if not missing:
        return 0
    root = Jurisdiction.objects.root().pk
    covid = Disease.objects.get(code="covid-19")
    disease = covid.pk
    profile = DiseaseProfile.objects.in_force(covid, timezone.localdate())
    writer = BulkWriter()
    ids = {m: writer.next_id(m) for m in (Person, ContactPoint, Case, Exposure)}
    rng = random.Random(have)  # noqa: S311 - synthetic data
    today = timezone.localdate()
    now = timezone.now()
    progress = Progress(missing, "adding bench monitorees")
    for start in range(0, missing, BATCH):
        size = min(BATCH, missing - start)
        tables = _batch(have + start, size, ids, root, (disease, profile), zone, today, now, rng)
        with transaction.atomic():
            for model in (Person, ContactPoint, Case, Exposure):
                writer.write(model, tables[model])
                ids[model] += len(tables[model])
        progress.advance(size)
    progress.finish()
    writer.reset_sequences([Person, ContactPoint, Case, Exposure])
    say(f"added {missing} monitorees")
    return missing


def _batch(
    first: int,
    size: int,
    ids: dict[Any, int],
    root: int,
    disease: tuple[int, DiseaseProfile | None],
    zone: str,
    today: dt.date,
    now: dt.datetime,
    rng: random.Random,
) -> dict[Any, list[dict[str, Any]]]:
    """Persons ``first``..``first+size``: even numbers cases, odd ones their contacts."""
    tables: dict[Any, list[dict[str, Any]]] = {
        m: [] for m in (Person, ContactPoint, Case, Exposure)
    }
    stamp = {"created_at": now, "updated_at": now, "jurisdiction_id": root}
    last_case = None
    for offset in range(size):
        number, pk = first + offset, ids[Person] + offset
        language = "es" if rng.random() < SPANISH_SHARE else "en"
        tables[Person].append(
            {**stamp, "id": pk, "given_name": "Bench", "family_name": f"Monitoree {number}",
             "preferred_language": language, "time_zone": zone, "address_status": "unknown"}
        )  # fmt: skip
        tables[ContactPoint].append(
            {"created_at": now, "updated_at": now, "id": ids[ContactPoint] + offset,
             "person_id": pk, "kind": "phone", "value": bench_phone(number), "use": "mobile",
             "rank": 1}
        )  # fmt: skip
        if number % 2 == 0 or last_case is None:
            last_case = ids[Case] + len(tables[Case])
            tables[Case].append(_case(last_case, pk, disease, today, stamp))
        else:
            exposure = ids[Exposure] + len(tables[Exposure])
            tables[Exposure].append(_exposure(exposure, last_case, pk, today, stamp))
    return tables


def _case(
    pk: int,
    person: int,
    disease: tuple[int, DiseaseProfile | None],
    today: dt.date,
    stamp: dict[str, Any],
) -> dict:
    """A confirmed case isolating from three days ago to a week from now."""
    days = dt.timedelta
    disease_id, profile = disease
    return {
        **stamp, "id": pk, "person_id": person, "disease_id": disease_id, "episode": 1,
        "profile_id": profile.pk if profile else None,
        "classification": "confirmed", "status": "open", "investigation_status": "completed",
        "report_date": today - days(2), "specimen_date": today - days(3),
        "isolation_start": today - days(3), "isolation_end": today + days(7), "priority": 0,
    }  # fmt: skip


def _exposure(pk: int, case: int, contact: int, today: dt.date, stamp: dict[str, Any]) -> dict:
    """A household contact of ``case`` in quarantine for eight more days."""
    days = dt.timedelta
    return {
        **stamp, "id": pk, "case_id": case, "contact_id": contact,
        "last_exposure_date": today - days(2), "quarantine_end": today + days(8),
        "setting": "household", "relation": "household", "proximity": "close",
        "monitoring_status": "monitoring",
    }  # fmt: skip


def midday_zone(now: dt.datetime | None = None) -> str:
    """A time zone where it is now nearest the middle of the send window."""
    now = now or timezone.now()
    window = conf.window()
    middle = (
        window.start.hour * 60 + window.start.minute + window.end.hour * 60 + window.end.minute
    ) / 2
    zones = [f"Etc/GMT{sign}{h}" for h in range(13) for sign in ("+", "-")] + [
        "Etc/GMT-13",
        "Etc/GMT-14",
    ]

    def distance(name: str) -> float:
        local = now.astimezone(zoneinfo.ZoneInfo(name))
        return abs(local.hour * 60 + local.minute - middle)

    return min(zones, key=distance)


def fix_clock(zone: str) -> int:
    """Put every bench monitoree in ``zone``; returns the persons moved."""
    table = Person._meta.db_table
    moved = f"UPDATE {table} SET time_zone = %s WHERE time_zone <> %s AND id IN "  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"{moved}({bench_person_ids_sql()})", [zone, zone])
        return max(cursor.rowcount, 0)


def analyze_monitorees() -> None:
    """Fresh planner statistics after moving the monitorees to another time zone.

    Autovacuum would do it on a live system; here (and on this machine, where
    it is off) the build would otherwise plan for a zone it believes empty
    and join 500,000 persons row by row.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Person, Case, Exposure, ContactPoint):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def clear_checkins() -> int:
    """Forget the bench monitorees' earlier check-in rows: each run builds its day anew."""
    outbox = OutboxMessage._meta.db_table
    mine = f"SELECT id FROM {outbox} WHERE purpose = %s AND address LIKE %s"  # noqa: S608
    params = [Purpose.DAILY_CHECKIN.value, f"{PHONE_PREFIX}%"]
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (CheckInAnswer, InboundMessage):
            table = model._meta.db_table
            unlink = f"UPDATE {table} SET outbox_id = NULL WHERE outbox_id IN ({mine})"  # noqa: S608
            cursor.execute(unlink, params)
        cursor.execute(f"DELETE FROM {outbox} WHERE id IN ({mine})", params)  # noqa: S608
        deleted = max(cursor.rowcount, 0)
    if deleted and connection.vendor == "postgresql":
        # The next build inserts the same keys again (same day): without a vacuum
        # each would first meet its deleted twin in the unique index, which no
        # real day does (yesterday's keys differ and were vacuumed long ago).
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {outbox}")
    return deleted
