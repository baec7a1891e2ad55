"""The day's check-in questions for every monitoree, built in the database.

Who is asked, and at which address, is the monitoring selection's
(``epitrace.monitoring.selection``: the profile's reminder rules, guardians
for minors, opt-outs, phone before e-mail), filled into a temporary table by
one statement per time zone. From it:

- SMS: one ``INSERT ... SELECT ... ON CONFLICT (key) DO NOTHING`` writes one
  row per phone number, covering everyone reached on it (a household on one
  phone, a guardian's wards: ``payload["for"]`` lists them and a YES/NO
  answers for each). The wording carries no personal detail, so it is
  rendered once per (jurisdiction, language) among the recipients and joined
  in; the row is due when the recipient's preferred part of the day opens.
- E-mail: the same grouping, read back; each address gets a portal check-in
  link (tokens made in bulk) and the rows are written in bulk.

Idempotent: the key is the recipient's and the day's, and an address that
already has today's question gets no second one, so running the build every
hour only adds the monitorees who joined since.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from epitrace.monitoring.selection import candidates_table
from epitrace.outreach.choices import Channel, Purpose, State
from epitrace.outreach.keys import idempotency_key
from epitrace.outreach.models import OutboxMessage
from epitrace.outreach.rendering import render
from epitrace.outreach.window import PARTS, due_on
from epitrace.people.models import Person
from epitrace.portal.choices import LinkPurpose
from epitrace.portal.links import LinkRequest, mint_links

OUTBOX = OutboxMessage._meta.db_table
PERSON = Person._meta.db_table
ANALYZE_AFTER = 10_000
WORK_MEM = "128MB"  # for this transaction only
LINK_MARK = "@@checkin-link@@"  # stands for each e-mail's own link in the shared wording
PREFERENCES = ("any", *PARTS)


def build_daily_checkins(*, now: dt.datetime | None = None) -> int:
    """Queue today's check-in for every monitoree; returns the rows added."""
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Grouping half a million candidates by address sorts in memory, not on disk.
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        with candidates_table(now) as table:
            added = _build_sms(table, now) + _build_email(table, now)
    if added >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Tens of thousands of fresh rows: without new statistics the planner
        # takes the due rows for a handful and sorts them all at every claim.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {OUTBOX}")
    return added


def _groups_sql(table: str, channel: str) -> str:
    """One line per address and day: the first recipient leads, the persons it covers."""
    if connection.vendor == "postgresql":
        covered = "jsonb_build_object('for', jsonb_agg(DISTINCT t.person_id))"
    else:
        covered = "json_object('for', json_group_array(DISTINCT t.person_id))"
    return (
        f"SELECT MIN(t.recipient_id) AS lead, t.address, t.day, t.day_key, t.time_zone, "  # noqa: S608
        f"{covered} AS covered FROM {table} t WHERE t.channel = '{channel}' "
        "GROUP BY t.address, t.day, t.day_key, t.time_zone"
    )


def _pairs(table: str, channel: str) -> list[tuple[int, str]]:
    """The distinct (jurisdiction, language) of the recipients (those who lead among them)."""
    sql = (
        "SELECT DISTINCT l.jurisdiction_id, l.preferred_language FROM "  # noqa: S608
        f"{PERSON} l WHERE l.id IN (SELECT t.recipient_id FROM {table} t "
        f"WHERE t.channel = '{channel}')"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [(int(row[0]), str(row[1])) for row in cursor.fetchall()]


def _dues(table: str, now: dt.datetime) -> list[tuple[str, dt.date, str, dt.datetime]]:
    """(zone, day, preference, due) for every zone and day among the candidates."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT time_zone, day FROM {table}")  # noqa: S608
        found = cursor.fetchall()
    rows = []
    for name, raw in found:
        day = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw)[:10])
        for preference in PREFERENCES:
            due = due_on(day, now, name, preference)
            if due is not None:  # the window of that part of the day is over
                rows.append((name, day, preference, due))
    return rows


def _build_sms(table: str, now: dt.datetime) -> int:
    statement = _sms_sql(table, now)
    if statement is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        if cursor.rowcount >= 0:
            return int(cursor.rowcount)
        # SQLite's driver counts only statements that start with INSERT, not WITH.
        cursor.execute("SELECT changes()")
        return int(cursor.fetchone()[0])


def _sms_sql(table: str, now: dt.datetime) -> tuple[str, list[Any]] | None:
    """The INSERT of the SMS rows, with its parameters; None when there is nothing to add."""
    pairs = _pairs(table, Channel.SMS)
    dues = _dues(table, now)
    if not pairs or not dues:
        return None
    postgres = connection.vendor == "postgresql"
    cast = (lambda t: f"CAST(%s AS {t})") if postgres else (lambda t: "%s")
    wording_rows, wording_params = [], []
    for jurisdiction, language in pairs:
        rendered = render(
            Channel.SMS, Purpose.DAILY_CHECKIN, language, {}, jurisdiction_id=jurisdiction
        )
        wording_rows.append(
            f"({cast('BIGINT')}, {cast('VARCHAR(8)')}, {cast('VARCHAR(8)')}, {cast('TEXT')})"
        )
        wording_params += [jurisdiction, language, rendered.language, rendered.body]
    adapt = connection.ops
    due_rows, due_params = [], []
    for name, day, preference, due in dues:
        due_rows.append(
            f"({cast('VARCHAR(64)')}, {cast('DATE')}, {cast('VARCHAR(10)')}, {cast('TIMESTAMPTZ')})"
        )
        due_params += [
            name,
            adapt.adapt_datefield_value(day),
            preference,
            adapt.adapt_datetimefield_value(due),
        ]
    stamp = adapt.adapt_datetimefield_value(now)
    sql = f"""
        WITH wording (jurisdiction_id, language, used, body) AS (VALUES {", ".join(wording_rows)}),
        dues (time_zone, day, preference, due) AS (VALUES {", ".join(due_rows)})
        INSERT INTO {OUTBOX} (key, channel, purpose, template, person_id, jurisdiction_id,
            address, language, time_zone, send_window, key_day, subject, body, payload, state,
            attempts, next_attempt_at, unsure, provider_id, provider_status, error_code,
            error_text, created_at, updated_at)
        SELECT %s || CAST(g.lead AS VARCHAR(20)) || g.day_key, %s, %s, %s, g.lead,
            l.jurisdiction_id, g.address, w.used, g.time_zone, l.contact_window, g.day, '',
            w.body, g.covered, %s, 0, d.due, FALSE, '', '', '', '', %s, %s
        FROM ({_groups_sql(table, Channel.SMS)}) g
        JOIN {PERSON} l ON l.id = g.lead
        JOIN wording w ON w.jurisdiction_id = l.jurisdiction_id
            AND w.language = l.preferred_language
        JOIN dues d ON d.time_zone = g.time_zone AND d.day = g.day
            AND d.preference = l.contact_window
        WHERE NOT EXISTS (SELECT 1 FROM {OUTBOX} o WHERE o.address = g.address
            AND o.purpose = %s AND o.key_day = g.day)
        ON CONFLICT (key) DO NOTHING
    """  # noqa: S608 - table names from _meta, values as parameters
    params: list[Any] = [
        *wording_params,
        *due_params,
        f"{Channel.SMS}:{Purpose.DAILY_CHECKIN}:p",
        Channel.SMS.value,
        Purpose.DAILY_CHECKIN.value,
        Purpose.DAILY_CHECKIN.value,
        State.QUEUED.value,
        stamp,
        stamp,
        Purpose.DAILY_CHECKIN.value,
    ]
    return sql, params


def _build_email(table: str, now: dt.datetime) -> int:
    """E-mail rows: each with its own portal check-in link, written in bulk."""
    with connection.cursor() as cursor:
        cursor.execute(_groups_sql(table, Channel.EMAIL))
        groups = cursor.fetchall()
    if not groups:
        return 0
    dues = {(name, day, preference): due for name, day, preference, due in _dues(table, now)}
    leads = Person.objects.in_bulk([row[0] for row in groups])
    taken = set(
        OutboxMessage.objects.filter(
            purpose=Purpose.DAILY_CHECKIN,
            address__in=[row[1] for row in groups],
            key_day__in={_day(row[2]) for row in groups},
        ).values_list("address", "key_day")
    )
    wordings: dict[tuple[int, str], Any] = {}
    rows, links = [], []
    for lead_id, address, raw_day, _key, name, covered in groups:
        day, lead = _day(raw_day), leads[lead_id]
        due = dues.get((name, day, lead.contact_window))
        if due is None or (address, day) in taken:
            continue
        pair = (lead.jurisdiction_id, lead.preferred_language)
        if pair not in wordings:
            wordings[pair] = render(
                Channel.EMAIL,
                Purpose.DAILY_CHECKIN,
                pair[1],
                {"link": LINK_MARK},
                jurisdiction_id=pair[0],
            )
        wording = wordings[pair]
        links.append(LinkRequest(lead_id, LinkPurpose.CHECKIN))
        rows.append(
            OutboxMessage(
                key=idempotency_key(
                    Channel.EMAIL,
                    Purpose.DAILY_CHECKIN,
                    person_id=lead_id,
                    address=address,
                    day=day,
                ),
                channel=Channel.EMAIL,
                purpose=Purpose.DAILY_CHECKIN,
                template=Purpose.DAILY_CHECKIN,
                person_id=lead_id,
                jurisdiction_id=lead.jurisdiction_id,
                address=address,
                language=wording.language,
                time_zone=name,
                send_window=lead.contact_window,
                key_day=day,
                subject=wording.subject,
                body=wording.body,
                payload=covered if isinstance(covered, dict) else json.loads(covered),
                next_attempt_at=due,
                created_at=now,
            )
        )
    for row, url in zip(rows, mint_links(links, now), strict=True):
        row.body = row.body.replace(LINK_MARK, url)
    before = OutboxMessage.objects.filter(key__in=[row.key for row in rows]).count()
    OutboxMessage.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return OutboxMessage.objects.filter(key__in=[row.key for row in rows]).count() - before


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
