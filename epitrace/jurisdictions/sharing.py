"""Access across jurisdictions: shares, transfers and break-glass.

Every function here is a state change with its audit event, in one
transaction, acting as ``acting_user``. Visibility is checked inside the
transaction: a record the user may not reach raises ``Person.DoesNotExist``,
which views turn into the same 404 as a missing record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.audit.services import record, snapshot
from epitrace.cases.models import Case
from epitrace.cases.priority import recompute_priority
from epitrace.contacts.models import Exposure
from epitrace.jurisdictions.models import BreakGlass, Jurisdiction, RecordShare, Transfer
from epitrace.labs.models import LabResult
from epitrace.people.models import Person
from epitrace.queues.sync import sync_exposure_items

MIN_REASON = 10


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": f"Give a reason of at least {MIN_REASON} characters."})
    return reason


def _owned(person_id: int, user: Any, capability: str) -> Person:
    """The person, if the user may change them and holds ``capability`` where they live."""
    person = Person.objects.restrict(user, "change").select_for_update().get(pk=person_id)
    scope = visible_jurisdiction_ids(user, capability)
    if scope is not None and person.jurisdiction_id not in scope:
        # Visible through a share or as an elicited contact, but not owned here.
        raise PermissionDenied("Only the jurisdiction of residence can do this.")
    return person


@transaction.atomic
def do_share_person(
    person_id: int,
    jurisdiction: Jurisdiction,
    *,
    acting_user: Any,
    reason: str,
    request: Any = None,
) -> RecordShare:
    person = _owned(person_id, acting_user, "access.share")
    if jurisdiction.pk == person.jurisdiction_id or jurisdiction.is_root:
        raise ValidationError({"jurisdiction": "This jurisdiction already sees the record."})
    if RecordShare.objects.filter(
        person=person, jurisdiction=jurisdiction, revoked_at__isnull=True
    ).exists():
        raise ValidationError({"jurisdiction": "The record is already shared with it."})
    share = RecordShare.objects.create(
        person=person, jurisdiction=jurisdiction, reason=_reason(reason), created_by=acting_user
    )
    record(
        "share",
        actor=acting_user,
        obj=person,
        jurisdiction_id=person.jurisdiction_id,
        request=request,
        reason=share.reason,
        payload={"share_id": share.pk, "shared_with": jurisdiction.code},
    )
    return share


@transaction.atomic
def do_revoke_share(share_id: int, *, acting_user: Any, request: Any = None) -> RecordShare:
    share = RecordShare.objects.select_for_update().get(pk=share_id, revoked_at__isnull=True)
    _owned(share.person_id, acting_user, "access.share")
    share.revoked_at = timezone.now()
    share.revoked_by = acting_user
    share.save(update_fields=["revoked_at", "revoked_by"])
    record(
        "unshare",
        actor=acting_user,
        obj=share.person,
        request=request,
        payload={"share_id": share.pk, "shared_with": share.jurisdiction.code},
    )
    return share


@transaction.atomic
def do_transfer_person(
    person_id: int, to: Jurisdiction, *, acting_user: Any, reason: str, request: Any = None
) -> Transfer:
    """Move a person and every record that follows residence, keeping the history."""
    person = _owned(person_id, acting_user, "access.transfer")
    if to.pk == person.jurisdiction_id:
        raise ValidationError({"jurisdiction": "The record already lives there."})
    if to.is_root:
        raise ValidationError({"jurisdiction": "Choose a local health department."})
    before = snapshot(person, ["jurisdiction_id"])
    source = person.jurisdiction_id
    person.jurisdiction = to
    person.save(update_fields=["jurisdiction", "updated_at"])
    moved = Case.objects.filter(person=person).update(jurisdiction=to, updated_at=timezone.now())
    LabResult.objects.filter(person=person).update(jurisdiction=to)
    Exposure.objects.filter(contact=person).update(jurisdiction=to, updated_at=timezone.now())
    # Their work items follow the records to the new jurisdiction's queues.
    recompute_priority(Case.objects.filter(person=person).values_list("pk", flat=True))
    sync_exposure_items(Exposure.objects.filter(contact=person).values_list("pk", flat=True))
    transfer = Transfer.objects.create(
        person=person,
        from_jurisdiction_id=source,
        to_jurisdiction=to,
        reason=_reason(reason),
        moved_cases=moved,
        moved_by=acting_user,
    )
    record(
        "transfer",
        actor=acting_user,
        obj=person,
        jurisdiction_id=to.pk,
        request=request,
        reason=transfer.reason,
        payload={
            "changes": {"jurisdiction_id": [before["jurisdiction_id"], to.pk]},
            "cases_moved": moved,
        },
    )
    return transfer


@transaction.atomic
def do_break_glass(
    person_id: int, *, acting_user: Any, reason: str, request: Any = None
) -> BreakGlass:
    """Open one record outside the user's reach for a while, with a reason.

    Granted whether or not the person exists: the answer must not tell.
    """
    if visible_jurisdiction_ids(acting_user, "access.break_glass") == frozenset():
        raise PermissionDenied("Break-glass access is not part of your role.")
    hours = getattr(settings, "EPITRACE_BREAK_GLASS_HOURS", 4)
    grant = BreakGlass.objects.create(
        user=acting_user,
        person_id=person_id,
        reason=_reason(reason),
        expires_at=timezone.now() + dt.timedelta(hours=hours),
    )
    owner = Person.objects.filter(pk=person_id).values_list("jurisdiction_id", flat=True).first()
    record(
        "break_glass",
        actor=acting_user,
        person_id=person_id,
        jurisdiction_id=owner,
        request=request,
        reason=grant.reason,
        payload={"grant_id": grant.pk, "expires_at": grant.expires_at.isoformat()},
    )
    return grant


def break_glass_for_director(user: Any) -> Any:
    """Break-glass uses on persons living in the jurisdictions the user audits."""
    scope = visible_jurisdiction_ids(user, "audit.view_audit")
    grants = BreakGlass.objects.select_related("user").order_by("-created_at")
    if scope is None:
        return grants
    residents = Person.objects.filter(jurisdiction_id__in=scope).values("pk")
    return grants.filter(person_id__in=residents)
