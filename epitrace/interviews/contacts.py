"""Contact elicitation: the persons a case names become exposures with follow-up.

For each contact the tracer enters:

1. the matcher (epitrace/people/matching.py) looks for the person across the
   state. A sure match is reused; a grey-zone one is put to the tracer
   ("possibly the same as ... - use this person / create a new one"), showing
   only persons the tracer may see. A person out of the tracer's reach is
   never described: a sure match is linked as "a person already known to
   public health", and a grey-zone one can only lead to a new person, the
   pair going to the possible-duplicates queue for someone who sees both;
2. a new person lives in the jurisdiction of their address (a household
   member without one shares the case's); with no usable address the
   case's jurisdiction keeps them, and an out-of-state address is flagged
   for forwarding (the state's out-of-state queue);
3. the exposure belongs to the contact's jurisdiction of residence (the
   case's when that is unknown or out of state), is monitored from now, and
   its quarantine end comes from the case's profile (a household contact
   still living with the case: from the end of the case's isolation);
4. a contact-notification work item is queued for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from epitrace.audit.choices import Action
from epitrace.audit.services import ObjectRef, record, record_change, snapshot
from epitrace.cases.models import Case
from epitrace.contacts.choices import (
    ExposureSource,
    MonitoringStatus,
    Proximity,
    Relation,
    Setting,
)
from epitrace.contacts.models import Exposure
from epitrace.interviews.casedates import quarantine_end_or_none
from epitrace.interviews.models import Interview
from epitrace.jurisdictions.services import AddressResolver
from epitrace.labs.ingest.report import Patient
from epitrace.monitoring.triggers import on_exposures_added
from epitrace.people.choices import AddressStatus, ContactKind, ContactUse
from epitrace.people.matching import Match, PersonMatcher, propose
from epitrace.people.merge.choices import DuplicateSource
from epitrace.people.models import ContactPoint, Person
from epitrace.queues.choices import Kind
from epitrace.queues.services import open_item

EXPOSURE_FIELDS = (
    "jurisdiction",
    "last_exposure_date",
    "first_exposure_date",
    "ongoing",
    "setting",
    "relation",
    "proximity",
    "monitoring_status",
    "quarantine_end",
)
ADDRESS = ("street", "city", "postcode", "state")


@dataclass
class Candidate:
    """A grey-zone match as the tracer may see it."""

    person_id: int
    visible: bool
    name: str = ""
    birth_date: dt.date | None = None
    town: str = ""


@dataclass
class Elicited:
    """What came of one entry: an exposure, or a question for the tracer."""

    exposure: Exposure | None = None
    candidates: list[Candidate] = field(default_factory=list)
    reused: bool = False  # an existing person, found by the matcher or chosen
    hidden: bool = False  # that person is out of the tracer's reach: not described


def do_add_contact(
    case: Case,
    entry: dict[str, Any],
    *,
    acting_user: Any,
    request: HttpRequest | None = None,
    guardian: Person | None = None,
    source: str = DuplicateSource.CONTACT_ENTRY,
    reason: str = "",
) -> Elicited:
    """Elicit one contact of ``case`` from a cleaned ContactEntryForm (see module docstring).

    ``source`` tells the possible-duplicates queue where the pair was met;
    ``reason`` goes on every audit event (the portal says "portal").
    """
    match = PersonMatcher(acting_user).match(patient_of(entry))
    visible = Person.objects.restrict(acting_user, "view")
    person = _decided_person(match, entry.get("decision", ""), visible)
    if person is None and match.review and not entry.get("decision"):
        return Elicited(candidates=candidates(match, visible))
    reused = person is not None
    # Asked before the exposure exists: from then on the eliciting jurisdiction sees them.
    hidden = person is not None and not visible.filter(pk=person.pk).exists()
    with transaction.atomic():
        if person is None:
            person = _new_person(entry, case, guardian, acting_user, request, reason)
            if match.review:
                propose(person.pk, match, source=source)
        elif entry.get("phone"):
            add_phone(person, entry["phone"], acting_user, request, reason)
        exposure = _new_exposure(case, person, entry, acting_user, request, reason)
        open_item(Kind.NOTIFICATION, exposure=exposure, acting_user=acting_user, request=request)
        # The notification with the quarantine end and the link, queued with the contact.
        on_exposures_added([exposure.pk])
    return Elicited(exposure=exposure, reused=reused, hidden=hidden)


def patient_of(entry: dict[str, Any]) -> Patient:
    """The entry as the matcher reads a report."""
    return Patient(
        given_name=entry["given_name"].strip(),
        family_name=entry["family_name"].strip(),
        birth_date=entry.get("birth_date"),
        phones=[entry["phone"]] if entry.get("phone") else [],
        street=entry.get("street", ""),
        city=entry.get("city", ""),
        postcode=entry.get("postcode", ""),
        state=entry.get("state", ""),
        language=entry.get("language", ""),
    )


def _decided_person(match: Match, decision: str, visible: Any) -> Person | None:
    """The existing person to use: the matcher's sure match, or the one the tracer chose."""
    if match.person is not None:
        return match.person
    if not decision.startswith("person:"):
        return None
    chosen = int(decision.removeprefix("person:"))
    # Only a visible grey-zone candidate of this very entry may be chosen.
    offered = {c.person_id for c in match.review}
    person = visible.filter(pk=chosen).first() if chosen in offered else None
    if person is None:
        raise ValidationError({"decision": _("That person is no longer offered: choose again.")})
    assert isinstance(person, Person)
    return person


def candidates(match: Match, visible: Any) -> list[Candidate]:
    ids = [c.person_id for c in match.review]
    shown = {p.pk: p for p in visible.filter(pk__in=ids)}
    found = []
    for pk in ids:
        person = shown.get(pk)
        if person is None:
            found.append(Candidate(pk, visible=False))
        else:
            found.append(Candidate(pk, True, person.full_name, person.birth_date, person.city))
    return found


def _new_person(
    entry: dict[str, Any],
    case: Case,
    guardian: Person | None,
    user: Any,
    request: HttpRequest | None,
    reason: str = "",
) -> Person:
    person = Person(
        given_name=entry["given_name"].strip()[:100],
        family_name=entry["family_name"].strip()[:100],
        birth_date=entry.get("birth_date"),
        preferred_language=entry.get("language") or "en",
        guardian=guardian,
    )
    _place(person, entry, case)
    person.save()
    record_change(
        user, person, {}, snapshot(person), action=Action.CREATE, request=request, reason=reason
    )
    if entry.get("phone"):
        add_phone(person, entry["phone"], user, request, reason)
    return person


def _place(person: Person, entry: dict[str, Any], case: Case) -> None:
    """Address, town and jurisdiction of a new contact (see the module docstring)."""
    household = Setting.HOUSEHOLD in (entry.get("setting"), entry.get("relation"))
    if household and not any(entry.get(part) for part in ADDRESS):
        home = case.person
        for name in ("street", "unit", "city", "state", "postcode", "county", "town_id"):
            setattr(person, name, getattr(home, name))
        person.address_status, person.jurisdiction_id = home.address_status, home.jurisdiction_id
        return
    resolver = AddressResolver()
    state = entry.get("state") or (
        resolver.state_code if any(entry.get(p) for p in ADDRESS) else ""
    )
    residence = resolver.resolve(entry.get("city", ""), entry.get("postcode", ""), state)
    person.street, person.city = entry.get("street", "")[:200], entry.get("city", "")[:100]
    person.postcode, person.state = entry.get("postcode", "")[:10], state
    person.town_id, person.address_status = residence.town_id, residence.status
    if residence.status == AddressStatus.UNKNOWN:
        person.jurisdiction_id = case.jurisdiction_id
    else:
        person.jurisdiction_id = residence.jurisdiction_id


def add_phone(
    person: Person, phone: str, user: Any, request: HttpRequest | None, reason: str = ""
) -> None:
    """Add an E.164 ``phone`` to ``person`` (after the known ones) unless they have it."""
    points = ContactPoint.objects.filter(person=person, kind=ContactKind.PHONE)
    if points.filter(value=phone).exists():
        return
    point = ContactPoint.objects.create(
        person=person,
        kind=ContactKind.PHONE,
        value=phone,
        use=ContactUse.MOBILE,
        rank=points.count() + 1,
    )
    record_change(
        user, point, {}, snapshot(point), action=Action.CREATE, request=request, reason=reason
    )


def _new_exposure(
    case: Case,
    person: Person,
    entry: dict[str, Any],
    user: Any,
    request: HttpRequest | None,
    reason: str = "",
) -> Exposure:
    if person.pk == case.person_id:
        raise ValidationError(_("This is the case's own person, not a contact."))
    if Exposure.objects.filter(case=case, contact=person).exists():
        raise ValidationError(
            _("%(name)s is already a contact of this case.") % {"name": person.full_name}
        )
    exposure = Exposure(
        case=case,
        contact=person,
        jurisdiction_id=exposure_jurisdiction(person, case),
        last_exposure_date=entry["last_exposure_date"],
        first_exposure_date=entry.get("first_exposure_date"),
        ongoing=bool(entry.get("ongoing")),
        setting=entry["setting"],
        relation=entry["relation"],
        proximity=entry.get("proximity") or _proximity(entry),
        monitoring_status=MonitoringStatus.MONITORING,
        source=ExposureSource.PORTAL if reason == "portal" else ExposureSource.TRACER,
    )
    exposure.quarantine_end = quarantine_end_or_none(exposure)
    exposure.save()
    record_change(
        user, exposure, {}, snapshot(exposure), action=Action.CREATE, request=request, reason=reason
    )
    return exposure


def _proximity(entry: dict[str, Any]) -> str:
    # Living under one roof is close contact by definition; elsewhere the tracer says.
    return Proximity.CLOSE if entry.get("relation") == Relation.HOUSEHOLD else Proximity.UNKNOWN


def exposure_jurisdiction(person: Person, case: Case) -> int:
    """The contact's LHD of residence; the case's when that is unknown or another state."""
    if person.address_status == AddressStatus.RESOLVED:
        return person.jurisdiction_id
    return case.jurisdiction_id


# --- Household members --------------------------------------------------------------------


class NeedsEntry(Exception):
    """A household member the tracer must finish in the contact entry row.

    ``entry`` pre-fills the row: the case isolates away from home (so the
    last day together must be given), or the matcher asks who this is.
    """

    def __init__(self, entry: dict[str, Any], reason: str) -> None:
        super().__init__(reason)
        self.entry, self.reason = entry, reason


def do_add_household_contact(
    case: Case,
    interview: Interview,
    row_key: str,
    *,
    acting_user: Any,
    request: HttpRequest | None = None,
    decision: str = "",
    source: str = DuplicateSource.CONTACT_ENTRY,
    reason: str = "",
    _depth: int = 0,
) -> Exposure:
    """Add a household row of the interview as a contact, in one click.

    A member lives with the case: an ongoing household exposure, unless the
    case isolates elsewhere (then NeedsEntry asks for the last day together).
    A minor's guardian among the members is added first. ``decision="new"``
    answers a grey-zone match in advance (a new person; the pair goes to the
    possible-duplicates queue), for callers who cannot ask: the portal.
    """
    row = household_row(interview, row_key)
    if row_key in (interview.data.get("household_contacts") or {}):
        raise ValidationError(_("This household member is already a contact."))
    if not (row.get("given_name", "").strip() and row.get("family_name", "").strip()):
        raise ValidationError(_("Give the member's given and family name first."))
    guardian = guardian_for_row(
        case, interview, row, acting_user, request, _depth, decision, source, reason
    )
    entry = household_entry(case, row, timezone.localdate())
    entry["household_row"] = row_key
    entry["decision"] = decision
    if interview.data.get("isolating_at_home") is False:
        entry.update(ongoing=False, last_exposure_date=None)
        raise NeedsEntry(entry, _("The case isolates away from home: give the last day together."))
    elicited = do_add_contact(
        case,
        entry,
        acting_user=acting_user,
        request=request,
        guardian=guardian,
        source=source,
        reason=reason,
    )
    if elicited.exposure is None:
        raise NeedsEntry(entry, _("This may be a person already known: choose below."))
    link_household_row(interview, row_key, elicited.exposure, acting_user=acting_user)
    return elicited.exposure


def household_row(interview: Interview, row_key: str) -> dict[str, Any]:
    for row in interview.data.get("household") or []:
        if row.get("key") == row_key:
            return dict(row)
    raise ValidationError(_("That household member is not saved yet: try again in a moment."))


def guardian_for_row(
    case: Case,
    interview: Interview,
    row: dict[str, Any],
    user: Any,
    request: HttpRequest | None,
    depth: int,
    decision: str = "",
    source: str = DuplicateSource.CONTACT_ENTRY,
    reason: str = "",
) -> Person | None:
    """The person a minor is reached through: the case, or a member added as a contact."""
    key = row.get("guardian") or ""
    if not key:
        return None
    if key == "case":
        return case.person
    linked = (interview.data.get("household_contacts") or {}).get(key)
    if linked is None:
        if depth > 0 or key == row.get("key"):
            raise ValidationError(_("Add the member's parent or guardian as a contact first."))
        exposure = do_add_household_contact(
            case,
            interview,
            key,
            acting_user=user,
            request=request,
            decision=decision,
            source=source,
            reason=reason,
            _depth=depth + 1,
        )
    else:
        exposure = Exposure.objects.select_related("contact").get(pk=linked)
    return exposure.contact


def household_entry(case: Case, row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """A household member as a contact entry: living with the case, still exposed.

    Still exposed means exposed until today, or until the case's isolation
    ended if that is already over (the case is no longer infectious then).
    """
    last = min(today, case.isolation_end) if case.isolation_end else today
    return {
        "given_name": row.get("given_name", "").strip(),
        "family_name": row.get("family_name", "").strip(),
        "birth_date": _date(row.get("birth_date")),
        "relation": Relation.HOUSEHOLD,
        "setting": Setting.HOUSEHOLD,
        "last_exposure_date": last,
        "ongoing": True,
        "language": case.person.preferred_language,
        "decision": "",
    }


def _date(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def link_household_row(
    interview: Interview, row_key: str, exposure: Exposure, *, acting_user: Any
) -> None:
    """Remember which exposure a household row became (the row then shows it)."""
    with transaction.atomic():
        locked = Interview.objects.select_for_update().get(pk=interview.pk)
        linked = dict(locked.data.get("household_contacts") or {})
        linked[row_key] = exposure.pk
        locked.data = {**locked.data, "household_contacts": linked}
        locked.updated_by = acting_user
        locked.save(update_fields=["data", "updated_by", "updated_at"])
        interview.data = locked.data


# --- Corrections --------------------------------------------------------------------------


def do_update_contact(
    exposure: Exposure,
    values: dict[str, Any],
    *,
    acting_user: Any,
    request: HttpRequest | None = None,
) -> Exposure:
    """Correct an exposure's dates, setting or relation; its quarantine end follows."""
    with transaction.atomic():
        locked = (
            Exposure.objects.select_for_update(of=("self",))
            .select_related("case")
            .get(pk=exposure.pk)
        )
        before = snapshot(locked, EXPOSURE_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.quarantine_end = quarantine_end_or_none(locked)
        after = snapshot(locked, EXPOSURE_FIELDS)
        if after != before:
            locked.save()
            record_change(acting_user, locked, before, after, request=request)
    return locked


def do_remove_contact(
    exposure: Exposure, *, acting_user: Any, request: HttpRequest | None = None
) -> None:
    """Remove a contact entered in error: the exposure and its follow-up work go.

    The person stays (they may be known for other reasons); a contact who
    became a case stays too, as the link of a transmission chain.
    """
    with transaction.atomic():
        locked = Exposure.objects.select_for_update().get(pk=exposure.pk)
        if locked.resulting_case_id is not None:
            raise ValidationError(
                _("This contact became a case: the link stays in the transmission chain.")
            )
        before = snapshot(locked)
        pk = locked.pk
        try:
            locked.delete()
        except ProtectedError:
            raise ValidationError(
                _("Follow-up records depend on this contact: it cannot be removed.")
            ) from None
        target = ObjectRef("contacts.exposure", pk, locked.contact_id, before["jurisdiction_id"])
        record(
            Action.DELETE,
            actor=acting_user,
            obj=target,
            request=request,
            payload={"changes": {k: [v, None] for k, v in before.items()}},
        )
        _unlink_household(locked.case_id, pk, acting_user)


def _unlink_household(case_id: int, exposure_id: int, user: Any) -> None:
    interview = Interview.objects.select_for_update().filter(case_id=case_id).first()
    if interview is None:
        return
    linked = dict(interview.data.get("household_contacts") or {})
    kept = {key: pk for key, pk in linked.items() if pk != exposure_id}
    if kept != linked:
        interview.data = {**interview.data, "household_contacts": kept}
        interview.updated_by = user
        interview.save(update_fields=["data", "updated_by", "updated_at"])
