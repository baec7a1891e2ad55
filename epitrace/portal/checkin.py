"""The daily check-in in the portal: the person, and those they answer for.

A head of household or a guardian answers for the people they look after:
the persons whose guardian they are, and the household contacts of their
case (or, for a household contact, of the case they live with) still under
monitoring. Answers are recorded by epitrace/monitoring/services.py, the
door every channel uses, which also queues a follow-up for a symptomatic
contact.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.contacts.choices import MonitoringStatus, Relation
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules.records import exposure_profile
from epitrace.monitoring.services import do_record_checkin
from epitrace.outreach.models import CheckInAnswer
from epitrace.people.models import Person
from epitrace.portal.models import PortalLink

CHANNEL = "portal"


def local_day(person: Person, now: dt.datetime | None = None) -> dt.date:
    try:
        zone = zoneinfo.ZoneInfo(person.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return timezone.localtime(now or timezone.now(), zone).date()


def answerable(person: Person) -> bool:
    return person.deceased_date is None and person.purged_at is None


def household_of(link: PortalLink) -> list[Person]:
    """The link's person first, then whoever they answer for (see the module docstring)."""
    person = link.person
    found: dict[int, Person] = {person.pk: person}
    wards = Person.objects.filter(guardian=person).order_by("given_name", "pk")
    case_id = link.case_id
    if (
        case_id is None
        and link.exposure is not None
        and link.exposure.relation == Relation.HOUSEHOLD
    ):
        case_id = link.exposure.case_id
    members: Iterable[Person] = []
    if case_id is not None:
        members = [
            e.contact
            for e in Exposure.objects.filter(
                case_id=case_id,
                relation=Relation.HOUSEHOLD,
                monitoring_status=MonitoringStatus.MONITORING,
            )
            .select_related("contact")
            .order_by("contact__given_name", "pk")
        ]
    for other in [*wards, *members]:
        if other.pk not in found and answerable(other):
            found[other.pk] = other
    return list(found.values())


def profile_of(link: PortalLink) -> DiseaseProfile | None:
    if link.case is not None:
        return link.case.profile
    if link.exposure is not None:
        return exposure_profile(link.exposure)
    return None


def answered_today(people: Iterable[Person]) -> set[int]:
    ids = {p.pk: local_day(p) for p in people}
    rows = CheckInAnswer.objects.filter(person_id__in=list(ids)).values_list("person_id", "day")
    return {pk for pk, day in rows if ids.get(pk) == day}


def do_submit_checkins(
    link: PortalLink, answers: Mapping[int, tuple[bool, list[str]]]
) -> list[CheckInAnswer]:
    """Record each person's answer for their local today; the link's person reports for others."""
    actor: Any = system_user()
    people = {p.pk: p for p in household_of(link)}
    recorded = []
    with transaction.atomic():
        for pk, (unwell, symptoms) in answers.items():
            person = people[pk]
            recorded.append(
                do_record_checkin(
                    person=person,
                    day=local_day(person),
                    symptomatic=unwell,
                    symptoms=symptoms if unwell else (),
                    channel=CHANNEL,
                    reporter=None if pk == link.person_id else link.person,
                    acting_user=actor,
                )
            )
    return recorded
