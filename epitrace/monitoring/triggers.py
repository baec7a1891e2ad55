"""Automated outreach when a case opens or a contact is added (issue 7, point 6).

``on_cases_opened(case_ids)`` -- each new confirmed or probable case whose
person is alive and reachable gets a self-interview link by SMS and by
e-mail (whichever they have, not opted out), in their language; a minor's
goes to their guardian. An adult (18 or older on the specimen date) with a
phone also gets an exposure-notification verification code: a request to
the state's EN server goes through the outbox (``Channel.EN``), and the
server's answer (its uuid, or the error) is recorded on that row and shown
with the person's messages.

``on_exposures_added(exposure_ids)`` -- each new contact gets the
notification with a link to their quarantine notice (the e-mail also states
the quarantine end; an SMS carries no health information), in their
language, through their guardian for a minor.

Both are set-based: a fixed number of statements per call, whatever the
number of records, so an import batch of thousands of results pays for them
once. Call them inside the transaction that opened the records (the rows
commit with it); the outbox keys make a second call for the same records on
the same day add nothing. ``on_new_cases(cases)`` is the first for cases
already in hand with their persons (the importer's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import prefetch_related_objects
from django.utils import timezone

from epitrace.cases.choices import CaseStatus, Classification
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.diseases.rules.records import exposure_quarantine_end
from epitrace.monitoring.eligibility import ADULT_AGE, Reach, reach_many
from epitrace.outreach.choices import Channel, Purpose
from epitrace.outreach.models import OutboxMessage
from epitrace.outreach.services import Draft, enqueue_many
from epitrace.outreach.window import local_day, zone
from epitrace.people.models import Person
from epitrace.portal.choices import LinkPurpose
from epitrace.portal.links import LinkRequest

# What the EN server calls a test: a confirmed case's, or a probable case's ("likely").
EN_TEST_TYPES: dict[str, str] = {
    Classification.CONFIRMED: "confirmed",
    Classification.PROBABLE: "likely",
}


def on_cases_opened(
    case_ids: Iterable[int], *, now: dt.datetime | None = None
) -> list[OutboxMessage]:
    """Self-interview links and EN code requests for these new cases; the rows queued."""
    cases = Case.objects.filter(pk__in=list(case_ids)).select_related("person__guardian")
    return on_new_cases(list(cases), now=now)


def on_new_cases(cases: Sequence[Case], *, now: dt.datetime | None = None) -> list[OutboxMessage]:
    """:func:`on_cases_opened` for cases in hand, each with its person (an import batch's).

    The importer holds the cases it just made and their persons: reading
    them back cost a twentieth of an import. Guardians not in hand are read
    in one query.
    """
    now = now or timezone.now()
    cases = sorted(
        (
            case
            for case in cases
            if case.status == CaseStatus.OPEN
            and case.classification in EN_TEST_TYPES
            and case.person.deceased_date is None
            and case.person.purged_at is None
        ),
        key=lambda case: case.pk,
    )
    persons = [case.person for case in cases]
    prefetch_related_objects([p for p in persons if p.guardian_id is not None], "guardian")
    reach = reach_many(persons, timezone.localdate(now))
    drafts: list[Draft] = []
    for case in cases:
        person = case.person
        day = local_day(now, person.time_zone)
        found = reach[person.pk]
        link = LinkRequest(person.pk, LinkPurpose.SELF_INTERVIEW, case_id=case.pk)
        drafts += _both_channels(found, person, Purpose.SELF_INTERVIEW, day, link, {})
        en = _en_request(case, found, day, now)
        if en is not None:
            drafts.append(en)
    return enqueue_many(drafts, now=now)


def on_exposures_added(
    exposure_ids: Iterable[int], *, now: dt.datetime | None = None
) -> list[OutboxMessage]:
    """The contact notification for these new exposures; the rows queued."""
    now = now or timezone.now()
    exposures = list(
        Exposure.objects.filter(
            pk__in=list(exposure_ids),
            contact__deceased_date__isnull=True,
            contact__purged_at__isnull=True,
        )
        .select_related("contact__guardian", "case__profile")
        .order_by("pk")
    )
    reach = reach_many([e.contact for e in exposures], timezone.localdate(now))
    drafts: list[Draft] = []
    for exposure in exposures:
        contact = exposure.contact
        day = local_day(now, contact.time_zone)
        end = exposure.quarantine_end or _rule_end(exposure)
        link = LinkRequest(contact.pk, LinkPurpose.CONTACT_NOTICE, exposure_id=exposure.pk)
        found = reach[contact.pk]
        drafts += _both_channels(
            found, contact, Purpose.CONTACT_NOTIFICATION, day, link, {"end_date": end}
        )
    return enqueue_many(drafts, now=now)


def _both_channels(
    found: Reach,
    person: Person,
    purpose: str,
    day: dt.date,
    link: LinkRequest,
    email_context: dict[str, object],
) -> list[Draft]:
    """A message on the first usable phone and one to the first usable e-mail address."""
    language = found.recipient.preferred_language
    drafts = []
    if found.phone:
        drafts.append(Draft(Channel.SMS, purpose, person, found.phone, language, day, link=link))
    if found.email:
        context = {k: v for k, v in email_context.items() if v is not None}
        drafts.append(
            Draft(Channel.EMAIL, purpose, person, found.email, language, day, context, link=link)
        )
    return drafts


def _en_request(case: Case, found: Reach, day: dt.date, now: dt.datetime) -> Draft | None:
    """The EN verification-code request of an adult with their own phone, else None."""
    person = case.person
    tested = case.specimen_date or case.report_date
    age = person.age_on(tested)
    if age is None or age < ADULT_AGE or found.recipient.pk != person.pk or not found.phone:
        return None
    payload: dict[str, object] = {"testType": EN_TEST_TYPES[case.classification]}
    if case.onset_date is not None and not case.asymptomatic:
        payload["symptomDate"] = case.onset_date.isoformat()
    else:
        payload["testDate"] = tested.isoformat()
    offset = now.astimezone(zone(person.time_zone)).utcoffset() or dt.timedelta()
    payload["tzOffset"] = int(offset.total_seconds() // 60)
    return Draft(
        Channel.EN,
        Purpose.EN_VERIFICATION,
        person,
        found.phone,
        person.preferred_language,
        day,
        payload=payload,
    )


def _rule_end(exposure: Exposure) -> dt.date | None:
    try:
        return exposure_quarantine_end(exposure)
    except ValueError:  # no profile on the case: no end date to state
        return None
