"""Who gets today's check-in question, and where: the fast, set-based selection.

One statement per time zone present among the persons fills a temporary
table with ``(person, recipient, address, channel, day)`` for every
monitoree the profile's reminder rules (diseases/rules/monitoring.py,
``reminder_eligible``) and the messaging rules (domain.md) let us ask today.
:mod:`epitrace.monitoring.eligibility` makes the same decision one record at
a time through the rule engine itself; a differential test holds the two
together, record by record.

The rules, as SQL:

- a *monitoree record* is a case isolating today (open, isolation started,
  not yet ended) or an exposure under monitoring whose reporting period
  (the profile's ``monitoring_period_days`` plus
  ``reminder_days_after_monitoring`` after the last exposure) is not over,
  or whose exposure is ongoing; the profile is the case's version, else the
  one in force on its report date;
- no reminder to the person was sent within the profile's
  ``reminder_interval_hours``; the person has not answered for today;
- alive, not purged;
- a minor (under 18 today) with a living guardian on record is asked
  through the guardian; anyone else on their own contact points;
- the address is the recipient's first phone that has not opted out (SMS),
  else their first such e-mail address (an e-mail with a portal link).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules import ProfileError, parameters_of
from epitrace.diseases.rules.params import RuleParameters
from epitrace.outreach.choices import Channel, Purpose
from epitrace.outreach.models import CheckInAnswer, OutboxMessage, Suppression
from epitrace.outreach.window import local_day, zone
from epitrace.people.models import ContactPoint, Person

CANDIDATES = "monitoring_daily_candidates"
PERSON = Person._meta.db_table
CASE = Case._meta.db_table
EXPOSURE = Exposure._meta.db_table
PROFILE = DiseaseProfile._meta.db_table
CONTACT = ContactPoint._meta.db_table
SUPPRESSION = Suppression._meta.db_table
ANSWER = CheckInAnswer._meta.db_table
OUTBOX = OutboxMessage._meta.db_table
ADULT_AGE = 18


@dataclass(frozen=True)
class Candidate:
    """One monitoree to ask today, and the address that reaches them."""

    person_id: int
    recipient_id: int
    address: str
    channel: str
    day: dt.date


def zones() -> list[str]:
    """The time zones of living persons (one statement each)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT time_zone FROM {PERSON} WHERE deceased_date IS NULL")  # noqa: S608
        return sorted(row[0] for row in cursor.fetchall())


def profile_rules() -> dict[int, RuleParameters]:
    """Every profile version's checked rules; a version that does not check is left out."""
    rules = {}
    for profile in DiseaseProfile.objects.all():
        try:
            rules[profile.pk] = parameters_of(profile)
        except ProfileError:
            continue  # its records cannot be decided: no reminder, as the engine would say
    return rules


@contextmanager
def candidates_table(now: dt.datetime) -> Iterator[str]:
    """The day's candidates in a temporary table (its name), dropped on exit.

    Call inside a transaction: the table is this connection's own.
    """
    rules = profile_rules()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {CANDIDATES} (person_id BIGINT NOT NULL, "
            "recipient_id BIGINT NOT NULL, address VARCHAR(254) NOT NULL, "
            "channel VARCHAR(8) NOT NULL, day DATE NOT NULL, day_key VARCHAR(12) NOT NULL, "
            "time_zone VARCHAR(64) NOT NULL)"
        )
        try:
            if rules:
                for name in zones():
                    sql, params = zone_sql(name, now, rules)
                    cursor.execute(f"INSERT INTO {CANDIDATES} {sql}", params)
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {CANDIDATES}")  # a fresh table has no statistics
            yield CANDIDATES
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")


def select(now: dt.datetime) -> list[Candidate]:
    """The day's candidates as a list (for checks and explanations; the build reads the table)."""
    with candidates_table(now) as table, connection.cursor() as cursor:
        cursor.execute(f"SELECT person_id, recipient_id, address, channel, day FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
    return [
        Candidate(row[0], row[1], row[2], row[3], _date(row[4]))
        for row in sorted(rows, key=lambda r: r[0])
    ]


def zone_sql(
    name: str, now: dt.datetime, rules: dict[int, RuleParameters]
) -> tuple[str, list[Any]]:
    """The SELECT of one zone's candidates, with its parameters."""
    day = local_day(now, name)
    midnight = now.astimezone(zone(name)).time() == dt.time.min
    rule_rows: list[str] = []
    rule_params: list[Any] = []
    for pk, rule in sorted(rules.items()):
        span = rule.monitoring_period_days + rule.reminder_days_after_monitoring
        # Sara Alert's "before N days ago": a day counts as its local midnight,
        # so on any moment after midnight the N-th day back is already over.
        first_day = day - dt.timedelta(days=span - (0 if midnight else 1))
        reminded_after = now - dt.timedelta(hours=rule.reminder_interval_hours)
        rule_rows.append(f"({_int()}, {_date_param()}, {_stamp()})")
        rule_params += [pk, _adapt_date(first_day), _adapt_stamp(reminded_after)]
    today = _adapt_date(day)
    adult_born_by = _adapt_date(_years_before(day, ADULT_AGE))
    profile_of_case = (
        f"COALESCE(c.profile_id, (SELECT dp.id FROM {PROFILE} dp "  # noqa: S608
        "WHERE dp.disease_id = c.disease_id AND dp.effective_from <= c.report_date "
        "AND (dp.effective_to IS NULL OR dp.effective_to >= c.report_date) "
        "ORDER BY dp.effective_from DESC LIMIT 1))"
    )
    not_reminded = (
        f"NOT EXISTS (SELECT 1 FROM {OUTBOX} o WHERE o.person_id = {{person}} "  # noqa: S608
        f"AND o.purpose = '{Purpose.DAILY_CHECKIN}' AND o.sent_at > r.reminded_after)"
    )
    first_address = (
        f"(SELECT cp.value FROM {CONTACT} cp "  # noqa: S608
        "WHERE cp.person_id = {who} AND cp.kind = '{kind}' "
        f"AND NOT EXISTS (SELECT 1 FROM {SUPPRESSION} s WHERE s.address = cp.value "
        "AND s.lifted_at IS NULL) ORDER BY cp.rank, cp.id LIMIT 1)"
    )
    sql = f"""
        SELECT person_id, recipient_id, address,
            CASE WHEN phone IS NOT NULL THEN '{Channel.SMS}' ELSE '{Channel.EMAIL}' END,
            {_date_param()}, {_text()}, {_text()}
        FROM (
            SELECT person_id, recipient_id, phone,
                -- COALESCE stops at a phone: the e-mail is looked up only without one.
                COALESCE(phone, {first_address.format(who="recipient_id", kind="email")}) AS address
            FROM (
            SELECT m.id AS person_id, m.recipient_id,
                {first_address.format(who="m.recipient_id", kind="phone")} AS phone
            FROM (
                SELECT p.id,
                    CASE WHEN p.birth_date > {_date_param()} AND g.id IS NOT NULL
                        AND g.deceased_date IS NULL AND g.purged_at IS NULL
                    THEN g.id ELSE p.id END AS recipient_id
                FROM {PERSON} p
                LEFT JOIN {PERSON} g ON g.id = p.guardian_id
                WHERE p.time_zone = {_text()} AND p.deceased_date IS NULL
                  AND p.purged_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM {ANSWER} a
                    WHERE a.person_id = p.id AND a.day >= {_date_param()})
                  AND p.id IN (
                    SELECT c.person_id FROM {CASE} c
                    JOIN rules r ON r.profile_id = {profile_of_case}
                    WHERE c.status = 'open' AND c.isolation_start <= {_date_param()}
                      AND (c.isolation_end IS NULL OR c.isolation_end >= {_date_param()})
                      AND {not_reminded.format(person="c.person_id")}
                    UNION
                    SELECT e.contact_id FROM {EXPOSURE} e
                    JOIN {CASE} c ON c.id = e.case_id
                    JOIN rules r ON r.profile_id = {profile_of_case}
                    WHERE e.monitoring_status = 'monitoring'
                      AND (e.ongoing OR e.last_exposure_date >= r.first_day)
                      AND {not_reminded.format(person="e.contact_id")})
            ) m {_fence()}
            ) reached {_fence()}
        ) chosen
        WHERE address IS NOT NULL
    """  # noqa: S608 - table names from _meta, values as parameters
    with_rules = (
        f"WITH rules (profile_id, first_day, reminded_after) AS (VALUES {', '.join(rule_rows)}) "
    )
    params = [
        today,
        f":{day:%Y%m%d}",
        name,
        adult_born_by,
        name,
        today,
        today,
        today,
    ]
    return with_rules + sql, rule_params + params


# --- Dates as parameters, the same on PostgreSQL and SQLite -----------------------------


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _fence() -> str:
    """Keeps a subquery whole: else its address look-up is inlined, and run once per use."""
    return "OFFSET 0" if _postgres() else "LIMIT -1 OFFSET 0"


def _int() -> str:
    return "CAST(%s AS BIGINT)"


def _text() -> str:
    return "CAST(%s AS VARCHAR(64))" if _postgres() else "%s"


def _date_param() -> str:
    return "CAST(%s AS DATE)" if _postgres() else "%s"


def _stamp() -> str:
    return "CAST(%s AS TIMESTAMPTZ)" if _postgres() else "%s"


def _adapt_date(day: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def _adapt_stamp(moment: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _years_before(day: dt.date, years: int) -> dt.date:
    """The latest birth date that makes one ``years`` old on ``day`` (29 Feb -> 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
