"""The self-interview: what the case types, kept in the portal session, then stored.

The steps fill a draft held in the session (the person may go back and
forth; nothing reaches the record before they press "Send"). On sending,
:func:`do_submit_self_interview` stores it through the same services as a
tracer's entries, as the system identity with the reason "portal":

- symptoms, onset, household, settings and needs become the interview's
  draft, marked self-reported (interviews/services.py), for a tracer to
  review and complete;
- each household member becomes a household contact and each named contact
  an exposure (interviews/contacts.py), the matcher reusing a known person
  and sending a doubtful pair to the possible-duplicates queue, since the
  portal cannot ask the person which of two strangers they meant.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext

from epitrace.accounts.scope import system_user
from epitrace.cases.models import Case
from epitrace.interviews.contacts import (
    NeedsEntry,
    add_phone,
    do_add_contact,
    do_add_household_contact,
)
from epitrace.interviews.forms import ADULT_AGE, age_on
from epitrace.interviews.models import Interview
from epitrace.interviews.services import AlreadyReported, do_record_self_report
from epitrace.people.merge.choices import DuplicateSource
from epitrace.portal.models import PortalLink

DRAFT_KEY = "portal_interview"
REASON = "portal"
STEPS = ("symptoms", "household", "settings", "contacts", "needs", "review")
LISTS = ("household", "settings", "contacts")
MAX_ROWS = 30

__all__ = ["AlreadyReported", "Draft", "do_submit_self_interview"]


@dataclass
class Draft:
    """What the person typed so far; JSON-safe (dates as ISO text)."""

    link: int
    symptoms: list[str] = field(default_factory=list)
    no_symptoms: bool = False
    onset_date: str = ""
    household: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    consent: bool = False
    needs_note: str = ""
    done: list[str] = field(default_factory=list)  # the steps passed

    @classmethod
    def load(cls, request: HttpRequest, link: PortalLink) -> Draft:
        raw = request.session.get(DRAFT_KEY)
        if isinstance(raw, dict) and raw.get("link") == link.pk:
            return cls(**raw)
        return cls(link=link.pk)

    def save(self, request: HttpRequest) -> None:
        request.session[DRAFT_KEY] = self.__dict__

    @staticmethod
    def forget(request: HttpRequest) -> None:
        request.session.pop(DRAFT_KEY, None)

    def add_row(self, kind: str, values: dict[str, Any]) -> None:
        rows = getattr(self, kind)
        if len(rows) >= MAX_ROWS:
            raise ValidationError(
                gettext(
                    "That is the most this form can take: "
                    "tell the tracer who calls you about the others."
                )
            )
        rows.append({"key": f"p{secrets.token_hex(4)}", **_jsonable(values)})

    def remove_row(self, kind: str, key: str) -> None:
        setattr(self, kind, [row for row in getattr(self, kind) if row.get("key") != key])

    def pass_step(self, step: str) -> None:
        if step not in self.done:
            self.done.append(step)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}


def linked_interview(link: PortalLink) -> Interview | None:
    """The interview of the case a link was issued for: the link is the portal's only key."""
    return Interview.objects.filter(case_id=link.case_id).first()


def is_minor(row: dict[str, Any], today: dt.date) -> bool:
    if row.get("birth_date"):
        return age_on(dt.date.fromisoformat(row["birth_date"]), today) < ADULT_AGE
    return row.get("age") is not None and int(row["age"]) < ADULT_AGE


def interview_values(draft: Draft, today: dt.date) -> dict[str, Any]:
    """The draft as the interview's fields (interviews/drafts.py names)."""
    household = [
        {
            "key": row["key"],
            "given_name": row["given_name"],
            "family_name": row["family_name"],
            "birth_date": row.get("birth_date") or "",
            "relation": "",
            # The person answering is the case: a child's guardian is them.
            "guardian": "case" if is_minor(row, today) else "",
        }
        for row in draft.household
    ]
    settings = [
        {
            "key": row["key"],
            "type": row["type"],
            "name": row["name"],
            "address": "",
            "first_date": "",
            "last_date": row["date"],
        }
        for row in draft.settings
    ]
    values: dict[str, Any] = {
        "symptoms": list(draft.symptoms),
        "asymptomatic": draft.no_symptoms,
        "household": household,
        "settings": settings,
        "needs": list(draft.needs),
    }
    if draft.onset_date and not draft.no_symptoms:
        values["onset_date"] = draft.onset_date
    if draft.needs:
        values["needs_consent"] = "yes" if draft.consent else "no"
    if draft.needs_note.strip():
        values["needs_note"] = draft.needs_note.strip()
    ages = [
        f"{row['given_name']} {row['family_name']}: {row['age']}"
        for row in draft.household
        if not row.get("birth_date") and row.get("age") is not None
    ]
    if ages:
        # The household rows have no age column: the ages given stay with the interview.
        values["notes"] = "Ages given in the self-interview: " + "; ".join(ages)
    return values


@dataclass
class Submitted:
    interview: Interview
    contacts_added: int
    left_for_tracer: int  # entries a tracer must finish (e.g. already a contact)


def do_submit_self_interview(
    link: PortalLink, draft: Draft, *, request: HttpRequest | None = None, today: dt.date
) -> Submitted:
    """Store the self-interview and its contacts (see the module docstring); atomic."""
    case = link.case
    if case is None:
        raise ValueError("a self-interview link names its case")
    actor = system_user()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("person", "profile")
            .get(pk=case.pk)
        )
        interview = do_record_self_report(
            case, interview_values(draft, today), acting_user=actor, request=request, reason=REASON
        )
        added, left = 0, 0
        for row in draft.household:
            if _household(case, interview, row, actor, request):
                added += 1
            else:
                left += 1
        for row in draft.contacts:
            if _contact(case, row, actor, request, case.person.preferred_language):
                added += 1
            else:
                left += 1
    return Submitted(interview, added, left)


def _household(
    case: Case, interview: Interview, row: dict[str, Any], actor: Any, request: HttpRequest | None
) -> bool:
    try:
        with transaction.atomic():
            exposure = do_add_household_contact(
                case,
                interview,
                row["key"],
                acting_user=actor,
                request=request,
                decision="new",
                source=DuplicateSource.PORTAL,
                reason=REASON,
            )
            if row.get("phone"):
                add_phone(exposure.contact, row["phone"], actor, request, REASON)
    except (NeedsEntry, ValidationError):
        return False  # the row stays in the interview: the tracer adds it by hand
    return True


def _contact(
    case: Case, row: dict[str, Any], actor: Any, request: HttpRequest | None, language: str
) -> bool:
    entry = {
        "given_name": row["given_name"],
        "family_name": row["family_name"],
        "phone": row.get("phone") or "",
        "relation": row["relation"],
        "setting": row["setting"],
        "last_exposure_date": dt.date.fromisoformat(row["last_exposure_date"]),
        "ongoing": False,
        "birth_date": None,
        "language": language,
        "decision": "new",
    }
    try:
        with transaction.atomic():
            elicited = do_add_contact(
                case,
                entry,
                acting_user=actor,
                request=request,
                source=DuplicateSource.PORTAL,
                reason=REASON,
            )
    except ValidationError:
        return False  # e.g. already a contact of this case
    return elicited.exposure is not None
