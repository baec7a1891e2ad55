"""Retention: erase the personal data of records closed long enough ago.

A person is purged when every case they had closed before the cut-off, no
exposure naming them belongs to an open case or is still monitored, and no
lab result arrived for them after the cut-off. Their row stays, stripped of
everything that identifies them (names, birth date, street, contact points,
identifiers, the raw lab messages), so counts by disease, week, jurisdiction,
town, sex, race and ethnicity still add up. Audit payloads naming them are
erased by the audit's own purge, which records one event covering them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from epitrace.audit.services import do_erase_payloads
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.interviews.services import erase_personal_data
from epitrace.labs.models import LabResult, RawMessage
from epitrace.people.models import ContactPoint, Person, PersonIdentifier

BATCH = 1000
ERASED = {
    "given_name": "",
    "middle_name": "",
    "family_name": "",
    "suffix": "",
    "birth_date": None,
    "street": "",
    "unit": "",
    "postcode": "",
    "deceased_date": None,
    "guardian": None,
    "guardian_relation": "",
}


@dataclass
class PurgeSummary:
    persons: int = 0
    contact_points: int = 0
    identifiers: int = 0
    raw_messages: int = 0


def purgeable(cutoff: dt.date) -> QuerySet[Person]:
    """Persons whose records all closed before ``cutoff`` and who are not purged yet."""
    cut = dt.datetime.combine(cutoff, dt.time.min, tzinfo=dt.UTC)
    case = Case.objects.filter(person=OuterRef("pk"))
    active_exposure = Exposure.objects.filter(contact=OuterRef("pk")).filter(
        Q(case__status="open") | Q(monitoring_status__in=["not_started", "monitoring"])
    )
    recent_lab = LabResult.objects.filter(person=OuterRef("pk"), imported_at__gte=cut)
    ward = Person.objects.filter(guardian=OuterRef("pk"), purged_at__isnull=True)
    return (
        Person.objects.filter(purged_at__isnull=True)
        .filter(Exists(case) | Exists(Exposure.objects.filter(contact=OuterRef("pk"))))
        .exclude(Exists(case.filter(Q(status="open") | Q(closed_at__gte=cut))))
        .exclude(Exists(active_exposure))
        .exclude(Exists(recent_lab))
        # A guardian stays while a ward still needs them to be reached.
        .exclude(Exists(ward.exclude(pk=OuterRef("pk"))))
    )


def do_purge(cutoff: dt.date, *, acting_user: Any, dry_run: bool = False) -> PurgeSummary:
    summary = PurgeSummary()
    candidates = purgeable(cutoff).order_by("pk").values_list("pk", flat=True)
    if dry_run:
        summary.persons = candidates.count()
        return summary
    while ids := list(candidates[:BATCH]):
        _purge_batch(ids, cutoff, acting_user, summary)
    return summary


@transaction.atomic
def _purge_batch(ids: list[int], cutoff: dt.date, acting_user: Any, summary: PurgeSummary) -> None:
    now = timezone.now()
    summary.contact_points += ContactPoint.objects.filter(person_id__in=ids).delete()[0]
    summary.identifiers += PersonIdentifier.objects.filter(person_id__in=ids).delete()[0]
    erase_personal_data(ids)  # interview drafts, answers and call notes
    messages = RawMessage.objects.filter(results__person_id__in=ids, purged_at__isnull=True)
    summary.raw_messages += RawMessage.objects.filter(pk__in=messages.values("pk")).update(
        content="", error="", purged_at=now
    )
    Person.objects.filter(pk__in=ids, guardian_id__in=ids).update(guardian=None)
    summary.persons += Person.objects.filter(pk__in=ids).update(
        **ERASED, purged_at=now, updated_at=now
    )
    do_erase_payloads(
        ids, acting_user=acting_user, reason=f"retention: records closed before {cutoff}"
    )
