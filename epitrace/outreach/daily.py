"""The day's check-in questions for every monitoree, built in the database.

One ``INSERT ... SELECT ... ON CONFLICT (key) DO NOTHING`` per time zone
present among the monitorees: a case in isolation today or a contact in
quarantine today, alive, with a phone that has not opted out, gets one
``daily_checkin`` SMS row keyed to their local day, due when their window
opens. Running it twice a day adds nothing; a monitoree who joined since
gets their row. The wording is rendered once per language in Python (it is
the same for everyone: the question carries no personal detail).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.outreach.choices import Channel, Purpose, State
from epitrace.outreach.models import OutboxMessage, Suppression
from epitrace.outreach.rendering import languages, render
from epitrace.outreach.window import local_day, next_opening
from epitrace.people.models import ContactPoint, Person

OUTBOX = OutboxMessage._meta.db_table
PERSON = Person._meta.db_table
CASE = Case._meta.db_table
EXPOSURE = Exposure._meta.db_table
CONTACT = ContactPoint._meta.db_table
SUPPRESSION = Suppression._meta.db_table
ANALYZE_AFTER = 10_000


def monitoree_zones() -> list[str]:
    """The time zones of the persons who may be monitored (one INSERT each)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT time_zone FROM {PERSON} WHERE deceased_date IS NULL")  # noqa: S608
        return sorted(row[0] for row in cursor.fetchall())


def build_daily_checkins(*, now: dt.datetime | None = None) -> int:
    """Queue today's check-in SMS for every monitoree; returns the rows added."""
    now = now or timezone.now()
    added = 0
    with transaction.atomic():
        for zone in monitoree_zones():
            added += _build_zone(zone, now)
    if added >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Tens of thousands of fresh rows: without new statistics the planner
        # takes the due rows for a handful and sorts them all at every claim.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {OUTBOX}")
    return added


def _build_zone(zone: str, now: dt.datetime) -> int:
    day = local_day(now, zone)
    bodies = {
        code: render(Channel.SMS, Purpose.DAILY_CHECKIN, code, {}).body
        for code in languages(Channel.SMS, Purpose.DAILY_CHECKIN)
    }
    others = [code for code in bodies if code != "en"]
    choose = " ".join("WHEN p.preferred_language = %s THEN %s" for _ in others)
    language_sql = f"CASE {choose} ELSE 'en' END" if others else "'en'"
    body_sql = f"CASE {choose} ELSE %s END" if others else "%s"
    language_params = [x for code in others for x in (code, code)]
    body_params = [x for code in others for x in (code, bodies[code])] + [bodies["en"]]
    empty_json = "'{}'::jsonb" if connection.vendor == "postgresql" else "'{}'"
    adapt = connection.ops.adapt_datetimefield_value
    stamp, due = adapt(now), adapt(next_opening(now, zone))
    today = connection.ops.adapt_datefield_value(day)
    sql = f"""
        INSERT INTO {OUTBOX} (key, channel, purpose, template, person_id, jurisdiction_id,
            address, language, time_zone, key_day, subject, body, payload, state, attempts,
            next_attempt_at, unsure, provider_id, provider_status, error_code, error_text,
            created_at, updated_at)
        SELECT %s || CAST(p.id AS TEXT) || %s, %s, %s, %s, p.id, p.jurisdiction_id,
            phone.value, {language_sql}, p.time_zone, %s, '', {body_sql}, {empty_json}, %s, 0,
            %s, FALSE, '', '', '', '', %s, %s
        FROM {PERSON} p
        JOIN {CONTACT} phone ON phone.id = (
            SELECT cp.id FROM {CONTACT} cp WHERE cp.person_id = p.id AND cp.kind = 'phone'
            ORDER BY cp.rank, cp.id LIMIT 1)
        WHERE p.time_zone = %s AND p.deceased_date IS NULL AND p.purged_at IS NULL
          AND p.id IN (
            SELECT c.person_id FROM {CASE} c WHERE c.status = 'open'
              AND c.isolation_start <= %s AND (c.isolation_end IS NULL OR c.isolation_end >= %s)
            UNION
            SELECT e.contact_id FROM {EXPOSURE} e WHERE e.monitoring_status = 'monitoring'
              AND (e.quarantine_end IS NULL OR e.quarantine_end >= %s))
          AND NOT EXISTS (SELECT 1 FROM {SUPPRESSION} s
            WHERE s.address = phone.value AND s.lifted_at IS NULL)
        ON CONFLICT (key) DO NOTHING
    """  # noqa: S608 - table names from _meta, values as parameters
    prefix = f"{Channel.SMS}:{Purpose.DAILY_CHECKIN}:p"
    params = [
        prefix,
        f":{day:%Y%m%d}",
        Channel.SMS.value,
        Purpose.DAILY_CHECKIN.value,
        Purpose.DAILY_CHECKIN.value,
        *language_params,
        today,
        *body_params,
        State.QUEUED.value,
        due,
        stamp,
        stamp,
        zone,
        today,
        today,
        today,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
