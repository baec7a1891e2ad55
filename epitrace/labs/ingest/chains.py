"""A contact who tests positive becomes a case, and the link is kept.

When the importer opens a case for a person who was elicited as a contact of
another case of the same disease, the exposure points to the new case
(``Exposure.resulting_case``) and the contact's monitoring ends as "became a
case": that link is the transmission chain. Exposures older than the
profile's incubation period before the new case's specimen date did not
cause it and stay as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from epitrace.cases.models import Case
from epitrace.contacts.choices import MonitoringStatus
from epitrace.contacts.models import Exposure


def link_new_cases(cases: Sequence[Case]) -> list[Exposure]:
    """Point open exposures of the new cases' persons to them; returns the exposures changed."""
    by_person: dict[int, list[Case]] = {}
    for new in cases:
        by_person.setdefault(new.person_id, []).append(new)
    if not by_person:
        return []
    exposures = (
        Exposure.objects.filter(contact_id__any=list(by_person), resulting_case__isnull=True)
        .select_related("case__profile", "profile")
        .order_by("last_exposure_date", "id")
    )
    changed = []
    now = timezone.now()
    for exposure in exposures:
        caught = _caused(exposure, by_person[exposure.contact_id])
        if caught is not None:
            exposure.resulting_case = caught
            exposure.monitoring_status = MonitoringStatus.BECAME_CASE
            exposure.updated_at = now
            changed.append(exposure)
    if changed:
        Exposure.objects.bulk_update(changed, ["resulting_case", "monitoring_status", "updated_at"])
    return changed


def _caused(exposure: Exposure, candidates: list[Case]) -> Case | None:
    # An exposure with no known source case (enrolled after an exposure
    # notification) carries its own disease and profile.
    source = exposure.case
    disease_id = source.disease_id if source is not None else exposure.disease_id
    profile = source.profile if source is not None else exposure.profile
    for case in candidates:
        if case.disease_id != disease_id or case.specimen_date is None:
            continue
        days = (profile.parameters.get("incubation_period_days") if profile else None) or 0
        earliest = case.specimen_date - dt.timedelta(days=int(days))
        if earliest <= exposure.last_exposure_date <= case.specimen_date:
            return case
    return None
