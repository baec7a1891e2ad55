"""Self-enrolment as a contact after an exposure notification on the phone.

A person whose phone showed an exposure alert has no link from us: nobody
knows whom they met. ``/p/enrol/`` lets them enrol themselves:

1. they give their name, birth date, phone, language, town or ZIP code and
   the date of the exposure the alert shows. What they type waits in their
   portal session (:class:`Enrolment`); a six-digit code goes to the phone
   by SMS through the outbox (:func:`send_code`). The code is kept only as a
   keyed digest (``EnrolmentCode``), lives 15 minutes and allows 5 tries;
2. the right code enrols them (:func:`do_self_enrol`), in one transaction,
   through the same pieces as a tracer's contact entry, as the system
   identity with the reason "portal": the matcher reuses a person it is
   sure of (adding the phone), sends a doubtful pair to the
   possible-duplicates queue and creates a new person otherwise, in the
   jurisdiction of the town or ZIP code (unknown: the state; another state:
   flagged for forwarding, the state's out-of-state queue). The exposure has
   no case: it carries the disease of exposure notifications
   (``EPITRACE_EN_DISEASE``), the profile version in force on the exposure
   date and its quarantine end, is monitored from now, and gets a
   contact-notification work item.

Enrolling again while an enrolment for the same disease is still open gives
that same exposure (a later exposure date moves it on): a database
constraint keeps one per person and disease, and the person's row is locked
while it is looked for.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from epitrace.accounts.scope import system_user
from epitrace.audit.choices import Action
from epitrace.audit.services import record_change, snapshot
from epitrace.contacts.choices import ExposureSource, MonitoringStatus, Proximity
from epitrace.contacts.choices import Setting as ExposureSetting
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import Disease, DiseaseProfile
from epitrace.diseases.rules.params import parameters_of
from epitrace.diseases.rules.periods import monitoring_end, quarantine_end
from epitrace.diseases.rules.records import exposure_quarantine_end
from epitrace.interviews.contacts import add_phone
from epitrace.jurisdictions.services import AddressResolver
from epitrace.labs.ingest.report import Patient
from epitrace.monitoring.triggers import on_exposures_added
from epitrace.outreach.choices import Channel, Purpose
from epitrace.outreach.services import enqueue
from epitrace.people.choices import ContactKind, ContactUse
from epitrace.people.matching import PersonMatcher, propose
from epitrace.people.merge.choices import DuplicateSource
from epitrace.people.models import ContactPoint, Person
from epitrace.portal.models import MAX_CODE_ATTEMPTS, EnrolmentCode
from epitrace.queues.choices import Kind
from epitrace.queues.services import open_item

SESSION_KEY = "portal_enrol"
DONE_KEY = "portal_enrolled"
REASON = "portal"
CODE_LIFETIME = dt.timedelta(minutes=15)
_SALT = "epitrace.portal.enrol"


class NotConfigured(LookupError):
    """No disease profile for exposure notifications on that date: nothing to enrol in."""


@dataclass
class Enrolment:
    """What the person typed in step 1 (JSON-safe: dates as ISO text), and their code."""

    given_name: str
    family_name: str
    birth_date: str
    phone: str  # E.164
    email: str
    language: str
    town: str
    postcode: str
    state: str
    exposure_date: str
    code_id: int | None = None

    @classmethod
    def load(cls, request: HttpRequest) -> Enrolment | None:
        raw = request.session.get(SESSION_KEY)
        if not isinstance(raw, dict):
            return None
        try:
            return cls(**raw)
        except TypeError:  # a session from an older form
            return None

    def save(self, request: HttpRequest) -> None:
        request.session[SESSION_KEY] = asdict(self)

    @staticmethod
    def forget(request: HttpRequest) -> None:
        request.session.pop(SESSION_KEY, None)

    @property
    def exposure_day(self) -> dt.date:
        return dt.date.fromisoformat(self.exposure_date)


# --- The disease and its rules ------------------------------------------------------------


def en_disease() -> Disease:
    code = str(settings.EPITRACE_EN_DISEASE)
    disease = Disease.objects.filter(code=code).first()
    if disease is None:
        raise NotConfigured(f"EPITRACE_EN_DISEASE names no disease: {code!r}")
    return disease


def profile_on(day: dt.date) -> DiseaseProfile:
    """The exposure-notification disease's profile version in force on ``day``."""
    profile = DiseaseProfile.objects.in_force(en_disease(), day)
    if profile is None:
        raise NotConfigured(f"no profile of {en_disease().code} in force on {day}")
    return profile


def follow_up_end(day: dt.date) -> dt.date:
    """The last day anyone exposed on ``day`` is followed: quarantine, else monitoring."""
    params = parameters_of(profile_on(day))
    return quarantine_end(params, day) or monitoring_end(params, day)


# --- The code ----------------------------------------------------------------------------


def _digest(*parts: str) -> str:
    return salted_hmac(_SALT, ":".join(parts), algorithm="sha256").hexdigest()


def send_code(phone: str, language: str) -> EnrolmentCode:
    """A new code for ``phone``, queued as an SMS in ``language``; returns its row.

    Each code is its own outbox message (the code row's id extends the
    idempotency key) and leaves at once, at any hour: the person is waiting
    for it. The per-phone and per-IP limits are what stop a flood.
    """
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        row = EnrolmentCode.objects.create(
            phone_digest=_digest(phone),
            code_digest=_digest(phone, code),
            expires_at=now + CODE_LIFETIME,
        )
        message = enqueue(
            Channel.SMS,
            Purpose.ENROL_CODE,
            person=None,
            address=phone,
            context={"code": code},
            language=language,
            key_extra=str(row.pk),
        )
        row.message = message
        row.save(update_fields=["message", "updated_at"])
    return row


@dataclass(frozen=True)
class Verdict:
    """What came of a typed code: ``enrolled`` (with the exposure), ``wrong``,
    ``expired`` or ``locked`` (no tries left)."""

    status: str
    exposure: Exposure | None = None
    tries_left: int = 0


def _check(enrolment: Enrolment, typed: str, now: dt.datetime) -> Verdict | None:
    """None when ``typed`` is this session's code, still valid; else why not. Locks the row."""
    if enrolment.code_id is None:
        return Verdict("expired")
    row = (
        EnrolmentCode.objects.select_for_update()
        .filter(pk=enrolment.code_id, phone_digest=_digest(enrolment.phone))
        .first()
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        return Verdict("expired")
    if row.attempts >= MAX_CODE_ATTEMPTS:
        return Verdict("locked")
    if constant_time_compare(row.code_digest, _digest(enrolment.phone, typed.strip())):
        row.used_at = now
        row.save(update_fields=["used_at", "updated_at"])
        return None
    row.attempts += 1
    row.save(update_fields=["attempts", "updated_at"])
    left = MAX_CODE_ATTEMPTS - row.attempts
    return Verdict("wrong", tries_left=left) if left else Verdict("locked")


# --- Enrolling ---------------------------------------------------------------------------


def do_self_enrol(
    enrolment: Enrolment, typed: str, *, request: HttpRequest | None = None
) -> Verdict:
    """Check the code and, when it is right, enrol the person (see the module docstring)."""
    actor = system_user()
    now = timezone.now()
    with transaction.atomic():
        refused = _check(enrolment, typed, now)
        if refused is not None:
            return refused  # a wrong try is counted: this transaction commits it
        person = _person(enrolment, actor, request)
        exposure = _exposure(person, enrolment, actor, request)
    return Verdict("enrolled", exposure=exposure)


def _patient(enrolment: Enrolment) -> Patient:
    return Patient(
        given_name=enrolment.given_name,
        family_name=enrolment.family_name,
        birth_date=dt.date.fromisoformat(enrolment.birth_date),
        phones=[enrolment.phone],
        emails=[enrolment.email] if enrolment.email else [],
        city=enrolment.town,
        postcode=enrolment.postcode,
        state=enrolment.state,
        language=enrolment.language,
    )


def _person(enrolment: Enrolment, actor: Any, request: HttpRequest | None) -> Person:
    """The matcher's sure match (with this phone added), else a new person."""
    match = PersonMatcher(actor).match(_patient(enrolment))
    person = match.person
    if person is None:
        person = _new_person(enrolment, actor, request)
        if match.review:
            propose(person.pk, match, source=DuplicateSource.PORTAL)
    else:
        add_phone(person, enrolment.phone, actor, request, REASON)
    if enrolment.email:
        _add_email(person, enrolment.email, actor, request)
    return person


def _new_person(enrolment: Enrolment, actor: Any, request: HttpRequest | None) -> Person:
    resolver = AddressResolver()
    state = enrolment.state or resolver.state_code
    # Unknown town: the state's; another state: kept at the state, flagged for forwarding.
    residence = resolver.resolve(enrolment.town, enrolment.postcode, state)
    person = Person(
        given_name=enrolment.given_name[:100],
        family_name=enrolment.family_name[:100],
        birth_date=dt.date.fromisoformat(enrolment.birth_date),
        preferred_language=enrolment.language,
        city=enrolment.town[:100],
        postcode=enrolment.postcode[:10],
        state=state[:2],
        town_id=residence.town_id,
        address_status=residence.status,
        jurisdiction_id=residence.jurisdiction_id,
    )
    person.save()
    record_change(
        actor, person, {}, snapshot(person), action=Action.CREATE, request=request, reason=REASON
    )
    add_phone(person, enrolment.phone, actor, request, REASON)
    return person


def _add_email(person: Person, email: str, actor: Any, request: HttpRequest | None) -> None:
    points = ContactPoint.objects.filter(person=person, kind=ContactKind.EMAIL)
    if points.filter(value__iexact=email).exists():
        return
    point = ContactPoint.objects.create(
        person=person,
        kind=ContactKind.EMAIL,
        value=email,
        use=ContactUse.OTHER,
        rank=points.count() + 1,
    )
    record_change(
        actor, point, {}, snapshot(point), action=Action.CREATE, request=request, reason=REASON
    )


def _open_enrolment(person: Person, disease: Disease) -> Exposure | None:
    return (
        Exposure.objects.select_for_update()
        .filter(
            contact=person,
            disease=disease,
            case__isnull=True,
            source=ExposureSource.EN_ENROLMENT,
            monitoring_status__in=[MonitoringStatus.NOT_STARTED, MonitoringStatus.MONITORING],
        )
        .first()
    )


def _exposure(
    person: Person, enrolment: Enrolment, actor: Any, request: HttpRequest | None
) -> Exposure:
    """The person's open enrolment for the disease (moved on to a later date), else a new one."""
    disease = en_disease()
    day = enrolment.exposure_day
    # Two enrolments of one person at once: the second waits here, then finds the first.
    Person.objects.select_for_update().filter(pk=person.pk).first()
    existing = _open_enrolment(person, disease)
    if existing is not None:
        return _move_on(existing, day, actor, request)
    exposure = Exposure(
        case=None,
        contact=person,
        disease=disease,
        profile=profile_on(day),
        source=ExposureSource.EN_ENROLMENT,
        jurisdiction_id=person.jurisdiction_id,
        last_exposure_date=day,
        setting=ExposureSetting.OTHER,
        proximity=Proximity.UNKNOWN,
        monitoring_status=MonitoringStatus.MONITORING,
    )
    exposure.quarantine_end = exposure_quarantine_end(exposure)
    try:
        with transaction.atomic():
            exposure.save()
    except IntegrityError:  # the constraint: an enrolment committed meanwhile
        found = _open_enrolment(person, disease)
        if found is None:
            raise
        return _move_on(found, day, actor, request)
    record_change(
        actor,
        exposure,
        {},
        snapshot(exposure),
        action=Action.CREATE,
        request=request,
        reason=REASON,
    )
    open_item(Kind.NOTIFICATION, exposure=exposure, acting_user=actor, request=request)
    on_exposures_added([exposure.pk])  # the notice link: their daily check-in starts there
    return exposure


def _move_on(exposure: Exposure, day: dt.date, actor: Any, request: HttpRequest | None) -> Exposure:
    """The same enrolment; a later exposure date restarts its quarantine from that day."""
    if day <= exposure.last_exposure_date:
        return exposure
    fields = ["last_exposure_date", "profile", "quarantine_end"]
    before = snapshot(exposure, fields)
    exposure.last_exposure_date = day
    exposure.profile = profile_on(day)
    exposure.quarantine_end = exposure_quarantine_end(exposure)
    exposure.save(update_fields=[*fields, "updated_at"])
    record_change(
        actor, exposure, before, snapshot(exposure, fields), request=request, reason=REASON
    )
    return exposure


# --- The confirmation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmation:
    given_name: str
    language: str
    quarantine_end: dt.date | None
    monitoring_end: dt.date


def confirmation(exposure_id: int) -> Confirmation | None:
    """What the confirmation page says about the enrolment this session made."""
    exposure = (
        Exposure.objects.select_related("contact", "profile")
        .filter(pk=exposure_id, case__isnull=True, source=ExposureSource.EN_ENROLMENT)
        .first()
    )
    if exposure is None or exposure.profile is None or exposure.contact.purged_at is not None:
        return None
    params = parameters_of(exposure.profile)
    return Confirmation(
        given_name=exposure.contact.given_name,
        language=exposure.contact.preferred_language,
        quarantine_end=exposure.quarantine_end,
        monitoring_end=monitoring_end(params, exposure.last_exposure_date),
    )
