"""Whether one person gets today's check-in, decided by the rule engine itself.

The slow, per-record twin of :mod:`epitrace.monitoring.selection`: each of
the person's monitoree records (a case isolating, an exposure under
monitoring) becomes a :class:`~epitrace.diseases.rules.Monitoree` and goes
through ``reminder_eligible`` with the profile's parameters; the messaging
rules (deceased, guardian, opt-outs, phone before e-mail) are applied as
domain.md states them. It answers "why does (or doesn't) this person get a
question today", and it is the reference the fast selection is tested
against.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from epitrace.cases.choices import CaseStatus
from epitrace.cases.models import Case
from epitrace.contacts.choices import MonitoringStatus
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules import (
    Monitoree,
    ProfileError,
    Report,
    RuleParameters,
    Situation,
    Workflow,
    parameters_of,
    reminder_eligible,
)
from epitrace.outreach.choices import Channel, Purpose
from epitrace.outreach.models import CheckInAnswer, OutboxMessage, Suppression
from epitrace.outreach.window import local_day, zone
from epitrace.people.models import ContactPoint, Person

ADULT_AGE = 18


@dataclass(frozen=True)
class Decision:
    """Ask ``person_id`` today through ``recipient_id`` at ``address`` (by ``channel``)."""

    person_id: int
    recipient_id: int
    address: str
    channel: str
    day: dt.date


def decide(person: Person, now: dt.datetime) -> Decision | None:
    """Today's check-in for ``person``, or None when the rules say no."""
    if person.deceased_date is not None or person.purged_at is not None:
        return None
    tz = zone(person.time_zone)
    today = local_day(now, person.time_zone)
    recipient = reached_through(person, today)
    channel, address = first_address(recipient)
    method = channel or "unknown"
    reports = tuple(
        # An answer counts for the day it answers (the portal may answer late).
        Report(
            at=dt.datetime.combine(answer.day, dt.time(12), tzinfo=tz),
            symptomatic=answer.symptomatic,
        )
        for answer in CheckInAnswer.objects.filter(person=person)
    )
    sent = (
        OutboxMessage.objects.filter(
            person=person, purpose=Purpose.DAILY_CHECKIN, sent_at__isnull=False
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    for params, record in _records(person, today, method, sent):
        situation = Situation(record=record, now=now, zone=tz, reports=reports)
        if reminder_eligible(params, situation):
            if address is None or channel is None:
                return None
            return Decision(person.pk, recipient.pk, address, channel, today)
    return None


def reached_through(person: Person, day: dt.date) -> Person:
    """A minor with a living guardian on record is reached through the guardian."""
    age = person.age_on(day)
    guardian = person.guardian
    if (
        age is not None
        and age < ADULT_AGE
        and guardian is not None
        and guardian.deceased_date is None
        and guardian.purged_at is None
    ):
        return guardian
    return person


def first_address(person: Person) -> tuple[str | None, str | None]:
    """(channel, address): the first phone not opted out, else the first such e-mail."""
    opted_out = set(
        Suppression.objects.filter(
            lifted_at__isnull=True,
            address__in=ContactPoint.objects.filter(person=person).values("value"),
        ).values_list("address", flat=True)
    )
    points = ContactPoint.objects.filter(person=person).order_by("rank", "id")
    for kind, channel in (("phone", Channel.SMS), ("email", Channel.EMAIL)):
        for point in points:
            if point.kind == kind and point.value not in opted_out:
                return str(channel), point.value
    return None, None


def profile_parameters(case: Case) -> RuleParameters | None:
    """The case's profile version, else the one in force on its report date; None if unusable."""
    profile = case.profile or DiseaseProfile.objects.in_force(case.disease_id, case.report_date)
    if profile is None:
        return None
    try:
        return parameters_of(profile)
    except ProfileError:
        return None


def _records(
    person: Person, today: dt.date, method: str, sent: dt.datetime | None
) -> list[tuple[RuleParameters, Monitoree]]:
    found = []
    for case in Case.objects.filter(person=person).select_related("profile"):
        params = profile_parameters(case)
        if params is None:
            continue
        isolating = (
            case.status == CaseStatus.OPEN
            and case.isolation_start is not None
            and case.isolation_start <= today
            and (case.isolation_end is None or case.isolation_end >= today)
        )
        record = Monitoree(
            workflow=Workflow.ISOLATION,
            enrolled_at=case.created_at,
            updated_at=case.updated_at,
            open=isolating,
            contact_method=method,
            last_reminder_sent_at=sent,
        )
        found.append((params, record))
    exposures = Exposure.objects.filter(contact=person).select_related("case__profile")
    for exposure in exposures:
        params = profile_parameters(exposure.case)
        if params is None:
            continue
        record = Monitoree(
            workflow=Workflow.EXPOSURE,
            enrolled_at=exposure.created_at,
            updated_at=exposure.updated_at,
            open=exposure.monitoring_status == MonitoringStatus.MONITORING,
            last_exposure_date=exposure.last_exposure_date,
            continuous_exposure=exposure.ongoing,
            contact_method=method,
            last_reminder_sent_at=sent,
        )
        found.append((params, record))
    return found


@dataclass(frozen=True)
class Reach:
    """How to reach a person: through whom, on which phone and e-mail (either may be None)."""

    recipient: Person
    phone: str | None
    email: str | None


def reach_many(persons: list[Person], day: dt.date) -> dict[int, Reach]:
    """:func:`reached_through` and the addresses of many persons in two queries.

    Load the persons with ``select_related("guardian")``. Unlike the daily
    question, which goes to one address, a message that must arrive (a link
    to a self-interview, a quarantine notice) goes to the first usable phone
    and to the first usable e-mail address.
    """
    recipients = {p.pk: reached_through(p, day) for p in persons}
    ids = {r.pk for r in recipients.values()}
    points = list(ContactPoint.objects.filter(person_id__in=ids).order_by("rank", "id"))
    opted_out = set(
        Suppression.objects.filter(
            lifted_at__isnull=True, address__in={p.value for p in points}
        ).values_list("address", flat=True)
    )
    first: dict[tuple[int, str], str] = {}
    for point in points:
        if point.value not in opted_out:
            first.setdefault((point.person_id, point.kind), point.value)
    return {
        pk: Reach(r, first.get((r.pk, "phone")), first.get((r.pk, "email")))
        for pk, r in recipients.items()
    }
