"""A varied population of monitorees and non-monitorees, for the selection tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from epitrace.monitoring.selection import _years_before
from epitrace.outreach.choices import Channel, Purpose, State, SuppressionReason
from epitrace.outreach.models import CheckInAnswer, OutboxMessage, Suppression
from epitrace.people.models import Person
from epitrace.testing import factories as f

SHARED_PHONE = "+18605559000"


@dataclass
class Population:
    persons: list[Person] = field(default_factory=list)
    named: dict[str, Person] = field(default_factory=dict)

    def add(self, name: str, person: Person) -> Person:
        self.persons.append(person)
        self.named[name] = person
        return person


def build(jurisdiction: Any, now: dt.datetime) -> Population:
    """About forty persons, each a different combination of the rules."""
    pop = Population()
    today = timezone.localdate(now)
    counter = iter(range(1000, 9999))

    def person(name: str, *, phone: bool = True, email: bool = False, **extra: Any) -> Person:
        extra.setdefault("birth_date", today - dt.timedelta(days=40 * 365))
        created = f.PersonFactory.create(jurisdiction=jurisdiction, **extra)
        if phone:
            f.ContactPointFactory.create(person=created, value=f"+1860556{next(counter):04d}")
        if email:
            f.ContactPointFactory.create(
                person=created, kind="email", value=f"{name.replace('_', '.')}@example.org"
            )
        return pop.add(name, created)

    def contact(name: str, *, days_ago: int = 3, **extra: Any) -> Person:
        status = extra.pop("status", "monitoring")
        ongoing = extra.pop("ongoing", False)
        created = person(name, **extra)
        f.ExposureFactory.create(
            contact=created,
            case__person__jurisdiction=jurisdiction,
            last_exposure_date=today - dt.timedelta(days=days_ago),
            monitoring_status=status,
            ongoing=ongoing,
        )
        return created

    def case(name: str, **extra: Any) -> Person:
        case_fields = {k: extra.pop(k) for k in list(extra) if k.startswith("case_")}
        created = person(name, **extra)
        f.CaseFactory.create(person=created, **{k[5:]: v for k, v in case_fields.items()})
        return created

    case("isolating")
    case("isolation_ended", case_isolation_end=today - dt.timedelta(days=1))
    case(
        "isolation_starts_tomorrow",
        case_isolation_start=today + dt.timedelta(days=1),
        case_isolation_end=today + dt.timedelta(days=8),
    )
    case("case_closed", case_status="closed", case_closed_at=now)
    no_profile = case("case_without_profile")
    no_profile.cases.update(profile=None)
    for days in (1, 5, 9, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 30):
        contact(f"contact_day_{days}", days_ago=days)
    contact("ongoing_household", days_ago=40, ongoing=True)
    contact("contact_completed", status="completed")
    contact("contact_became_case", status="became_case")
    contact("contact_not_started", status="not_started")
    contact("deceased", deceased_date=today - dt.timedelta(days=1))
    contact("purged", purged_at=now)
    person("not_monitored")

    minor_born = today - dt.timedelta(days=9 * 365)
    guardian = person("guardian_with_phone")
    contact("minor_with_guardian", guardian=guardian, birth_date=minor_born)
    contact("second_minor_same_guardian", guardian=guardian, birth_date=minor_born)
    mail_guardian = person("guardian_email_only", phone=False, email=True)
    contact("minor_guardian_email", guardian=mail_guardian, birth_date=minor_born)
    silent_guardian = person("guardian_without_contact", phone=False)
    contact("minor_guardian_unreachable", guardian=silent_guardian, birth_date=minor_born)
    contact("minor_without_guardian", birth_date=minor_born)
    dead_guardian = person("guardian_deceased", deceased_date=today - dt.timedelta(days=2))
    contact("minor_guardian_deceased", guardian=dead_guardian, birth_date=minor_born)
    contact("turns_adult_today", guardian=guardian, birth_date=_years_before(today, 18))
    contact(
        "adult_tomorrow",
        guardian=guardian,
        birth_date=_years_before(today, 18) + dt.timedelta(days=1),
    )
    contact("adult_unknown_birth_date", guardian=guardian, birth_date=None)

    opted = contact("opted_out_then_second_phone")
    first = opted.contact_points.get()
    f.ContactPointFactory.create(person=opted, value=f"+1860557{next(counter):04d}", rank=2)
    Suppression.objects.create(
        address=first.value, channel=Channel.SMS, reason=SuppressionReason.STOP
    )
    only = contact("opted_out_with_email", email=True)
    Suppression.objects.create(
        address=only.contact_points.get(kind="phone").value,
        channel=Channel.SMS,
        reason=SuppressionReason.STOP,
    )
    all_out = contact("opted_out_everything")
    Suppression.objects.create(
        address=all_out.contact_points.get().value,
        channel=Channel.SMS,
        reason=SuppressionReason.PROVIDER_UNSUBSCRIBED,
    )
    lifted = contact("opt_out_lifted")
    Suppression.objects.create(
        address=lifted.contact_points.get().value,
        channel=Channel.SMS,
        reason=SuppressionReason.STOP,
        lifted_at=now,
    )
    for name in ("household_a", "household_b"):
        member = contact(name, phone=False)
        f.ContactPointFactory.create(person=member, value=SHARED_PHONE)
    contact("email_only", phone=False, email=True)
    contact("no_contact_at_all", phone=False)
    contact("los_angeles", time_zone="America/Los_Angeles", contact_window="evening")
    contact("madrid", time_zone="Europe/Madrid", contact_window="morning")
    contact("kiritimati", time_zone="Pacific/Kiritimati", contact_window="afternoon")

    answered = contact("answered_today")
    CheckInAnswer.objects.create(person=answered, day=today, symptomatic=False, channel="sms")
    yesterday = contact("answered_yesterday")
    CheckInAnswer.objects.create(
        person=yesterday, day=today - dt.timedelta(days=1), symptomatic=False, channel="sms"
    )
    for name, hours in (("reminded_2h_ago", 2), ("reminded_13h_ago", 13)):
        reminded = contact(name)
        OutboxMessage.objects.create(
            key=f"test:{name}",
            channel=Channel.SMS,
            purpose=Purpose.DAILY_CHECKIN,
            person=reminded,
            jurisdiction_id=reminded.jurisdiction_id,
            address=reminded.contact_points.get().value,
            key_day=today - dt.timedelta(days=1),
            state=State.SENT,
            sent_at=now - dt.timedelta(hours=hours),
        )
    both = case("case_and_contact")
    f.ExposureFactory.create(contact=both, case__person__jurisdiction=jurisdiction)
    return pop
