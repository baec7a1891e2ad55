"""Letters from records, and the template changes administrators make.

A letter is built from one record the caller has already fetched through a
restricted queryset (a case for isolation, an exposure for quarantine, either
for a release), the newest version of the template for its kind and
language, and the values of the placeholders. A letter that would not make
sense is refused with :class:`LetterRefused`, whose message tells staff what
to fix: printing an empty date or an unknown phone number on an official
letter is worse than printing nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epitrace.audit.services import Action, record
from epitrace.cases.choices import Classification
from epitrace.cases.models import Case
from epitrace.contacts.choices import MonitoringStatus
from epitrace.contacts.models import Exposure
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.letters import placeholders
from epitrace.letters.choices import LetterKind
from epitrace.letters.fonts import describe, missing_characters
from epitrace.letters.languages import format_date
from epitrace.letters.models import LetterTemplate, LetterTemplateVersion
from epitrace.letters.pdf import Letter
from epitrace.people.models import Person
from epitrace.web.templatetags.epitrace_ui import phone as display_phone

# Bidirectional isolates around every inserted value, so a Latin name or a
# phone number keeps its own order inside an Arabic sentence (and the other
# way round). They print nothing.
_FIRST_STRONG_ISOLATE = "\u2068"
_POP_ISOLATE = "\u2069"


class LetterRefused(Exception):
    """The letter would not make sense for this record; the message says why."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Department:
    name: str
    phone: str
    email: str

    @classmethod
    def of(cls, jurisdiction: Jurisdiction) -> Department:
        """The jurisdiction, with the phone and email of the nearest department that has them.

        A local department without its own line sends people to the state's.
        """
        nearest_first = list(reversed(jurisdiction.ancestors_and_self()))
        phone = next((j.phone for j in nearest_first if j.phone), "")
        email = next((j.email for j in nearest_first if j.email), "")
        return cls(jurisdiction.name, display_phone(phone) if phone else "", email)


@dataclass(frozen=True)
class IssuedLetter:
    letter: Letter
    version: LetterTemplateVersion


# --- Letters from records ---------------------------------------------------------------


def case_letter(
    case: Case, kind: str, language: str, *, today: dt.date | None = None
) -> IssuedLetter:
    """The isolation or release letter of ``case``, in ``language``."""
    today = today or local_today(case.person)
    period = _check_case(case, kind, today)
    return _issue(kind, language, case.person, Department.of(case.jurisdiction), period, today)


def exposure_letter(
    exposure: Exposure, kind: str, language: str, *, today: dt.date | None = None
) -> IssuedLetter:
    """The quarantine or release letter of the contact of ``exposure``, in ``language``."""
    person = exposure.contact
    today = today or local_today(person)
    period = _check_exposure(exposure, kind, today)
    return _issue(kind, language, person, Department.of(exposure.jurisdiction), period, today)


def case_refusal(case: Case, kind: str, *, today: dt.date | None = None) -> str | None:
    """Why ``case`` has no letter of ``kind`` now, from its own data; None if it has one.

    For the letter menus: it checks the record only, not the template or the
    department's phone, which the letter itself checks when it is printed.
    """
    return _refusal(lambda: _check_case(case, kind, today or local_today(case.person)))


def exposure_refusal(exposure: Exposure, kind: str, *, today: dt.date | None = None) -> str | None:
    """Why ``exposure`` has no letter of ``kind`` now; None if it has one."""
    return _refusal(lambda: _check_exposure(exposure, kind, today or local_today(exposure.contact)))


def _refusal(check: Callable[[], Period]) -> str | None:
    try:
        check()
    except LetterRefused as refusal:
        return str(refusal)
    return None


def local_today(person: Person) -> dt.date:
    """Today where the person lives: the date a letter carries."""
    try:
        zone = ZoneInfo(person.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    return timezone.now().astimezone(zone).date()


def _check_case(case: Case, kind: str, today: dt.date) -> Period:
    """The isolation period the letter states, or LetterRefused."""
    _check_person(case.person)
    if kind == LetterKind.ISOLATION:
        if case.classification == Classification.NOT_A_CASE:
            raise LetterRefused(
                _("%(case)s is classified “not a case”: no isolation letter is printed.")
                % {"case": case.number}
            )
        return _isolation(case)
    if kind == LetterKind.RELEASE:
        period = _isolation(case)
        _check_over(period, today, _("Isolation"))
        return period
    raise LetterRefused(_("A case has no letter of this kind."))


def _check_exposure(exposure: Exposure, kind: str, today: dt.date) -> Period:
    """The quarantine period the letter states, or LetterRefused."""
    _check_person(exposure.contact)
    _check_quarantined(exposure)
    period = _quarantine(exposure)
    if kind == LetterKind.RELEASE:
        _check_over(period, today, _("Quarantine"))
    elif kind != LetterKind.QUARANTINE:
        raise LetterRefused(_("An exposure has no letter of this kind."))
    return period


def _check_person(person: Person) -> None:
    if person.purged_at is not None:
        raise LetterRefused(_("This person's personal data has been purged."))
    if person.deceased_date is not None:
        raise LetterRefused(_("This person is recorded as deceased: no letter is printed."))


def _isolation(case: Case) -> Period:
    if case.isolation_start is None or case.isolation_end is None:
        raise LetterRefused(
            _(
                "%(case)s has no isolation %(missing)s date yet: record the isolation dates "
                "on the case before printing its letters."
            )
            % {
                "case": case.number,
                "missing": _("start") if case.isolation_start is None else _("end"),
            }
        )
    return Period(case.isolation_start, case.isolation_end)


def _check_quarantined(exposure: Exposure) -> None:
    if exposure.resulting_case_id or exposure.monitoring_status == MonitoringStatus.BECAME_CASE:
        raise LetterRefused(
            _(
                "This contact has become a case: print the case's isolation or release "
                "letter instead."
            )
        )
    if exposure.monitoring_status == MonitoringStatus.NOT_REQUIRED:
        raise LetterRefused(_("No quarantine is required for this contact."))


def _quarantine(exposure: Exposure) -> Period:
    if exposure.quarantine_end is None:
        raise LetterRefused(
            _(
                "This exposure has no quarantine end date yet: record it before printing "
                "quarantine letters."
            )
        )
    return Period(exposure.last_exposure_date, exposure.quarantine_end)


def _check_over(period: Period, today: dt.date, what: str) -> None:
    # The last day counts: a release letter may be printed on it, for the day after.
    if period.end > today:
        raise LetterRefused(
            _("%(what)s lasts until %(end)s: a release letter can be printed from that day on.")
            % {"what": what, "end": period.end.isoformat()}
        )


def _issue(
    kind: str,
    language: str,
    person: Person,
    department: Department,
    period: Period,
    today: dt.date,
) -> IssuedLetter:
    version = current_version(kind, language)
    values = letter_values(kind, language, person.full_name, department, period, today)
    recipient = [person.full_name, *person.address_lines]
    letter = _compose(version.title, version.body, language, values, department, recipient, today)
    return IssuedLetter(letter, version)


def current_version(kind: str, language: str) -> LetterTemplateVersion:
    version = (
        LetterTemplateVersion.objects.filter(template__kind=kind, template__language=language)
        .select_related("template")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise LetterRefused(_("There is no letter template for this kind and language."))
    return version


def letter_values(
    kind: str,
    language: str,
    name: str,
    department: Department,
    period: Period,
    today: dt.date,
) -> dict[str, str]:
    """The value of every placeholder a letter of ``kind`` may use."""

    def date(day: dt.date) -> str:
        return format_date(day, language)

    values = {
        "person_name": name,
        "letter_date": date(today),
        "department_name": department.name,
        "department_phone": department.phone,
        "department_email": department.email,
        "start_date": date(period.start),
        "end_date": date(period.end),
    }
    if kind == LetterKind.ISOLATION:
        values |= {"isolation_start": date(period.start), "isolation_end": date(period.end)}
    elif kind == LetterKind.QUARANTINE:
        values |= {"last_exposure_date": date(period.start), "quarantine_end": date(period.end)}
    return values


def _compose(
    title: str,
    body: str,
    language: str,
    values: dict[str, str],
    department: Department,
    recipient: list[str],
    today: dt.date,
    *,
    sample: bool = False,
) -> Letter:
    used = placeholders.used(title) + placeholders.used(body)
    empty = [name for name in dict.fromkeys(used) if not values.get(name)]
    if empty:
        raise LetterRefused(_empty_message(empty))
    isolated = {name: _isolate(value) for name, value in values.items()}
    letter = Letter(
        language=language,
        title=placeholders.fill(title, isolated),
        body=placeholders.fill(body, isolated),
        department=department.name,
        department_phone=_isolate(department.phone) if department.phone else "",
        department_email=_isolate(department.email) if department.email else "",
        date=format_date(today, language),
        recipient=tuple(line for line in recipient if line),
        sample=sample,
    )
    missing = missing_characters(letter.texts())
    if missing:
        raise LetterRefused(
            _("The letter fonts cannot print these characters: %(chars)s.")
            % {"chars": describe(missing)}
        )
    return letter


def _empty_message(names: list[str]) -> str:
    if "department_phone" in names or "department_email" in names:
        return _(
            "The health department and the departments above it have no %(what)s on "
            "record: add it to the jurisdiction before printing this letter."
        ) % {"what": _("phone number") if "department_phone" in names else _("email address")}
    return _("The letter needs values this record does not have: %(names)s.") % {
        "names": ", ".join("{" + name + "}" for name in names)
    }


def _isolate(value: str) -> str:
    return f"{_FIRST_STRONG_ISOLATE}{value}{_POP_ISOLATE}"


# --- Previews with sample data -------------------------------------------------------------

# Invented people, one per letter language, for previews only.
SAMPLE_NAMES = {
    "en": "Jordan Rivera",
    "es": "María Guadalupe López",
    "pt": "Conceição Silva",
    "ht": "Marie-Ange Jean-Baptiste",
    "pl": "Małgorzata Wiśniewska",
    "vi": "Nguyễn Thị Hương",
    "zh": "王秀英",
    "ar": "فاطمة حداد",
}
SAMPLE_ADDRESS = ["100 Main Street, Apt 2", "Springfield, XS 06100"]
SAMPLE_PHONE = "+18605550100"  # a 555-01xx number: reserved for fiction


def sample_letter(
    kind: str, language: str, title: str, body: str, *, today: dt.date | None = None
) -> Letter:
    """A preview of a wording with invented data, marked as a sample on every page.

    The letterhead is the state's, as the wording is the state's; dates are
    placed around today as a real letter of this kind would have them.
    """
    today = today or timezone.localdate()
    root = Jurisdiction.objects.root()
    department = Department.of(root)
    if not department.phone:
        department = Department(department.name, display_phone(SAMPLE_PHONE), department.email)
    period = _sample_period(kind, today)
    values = letter_values(kind, language, SAMPLE_NAMES[language], department, period, today)
    recipient = [SAMPLE_NAMES[language], *SAMPLE_ADDRESS]
    return _compose(title, body, language, values, department, recipient, today, sample=True)


def _sample_period(kind: str, today: dt.date) -> Period:
    days = dt.timedelta
    if kind == LetterKind.RELEASE:
        return Period(today - days(11), today - days(1))
    if kind == LetterKind.QUARANTINE:
        return Period(today - days(3), today + days(7))
    return Period(today - days(2), today + days(8))


# --- Template changes ----------------------------------------------------------------------


def do_save_template(
    template: LetterTemplate,
    *,
    title: str,
    body: str,
    note: str,
    based_on: int,
    acting_user: Any,
) -> LetterTemplateVersion:
    """Add a version to ``template``; refused when someone saved another one meanwhile.

    ``based_on`` is the version number the editor started from: saving over a
    version the editor never saw would silently undo a colleague's change.
    """
    with transaction.atomic():
        locked = LetterTemplate.objects.select_for_update().get(pk=template.pk)
        current = locked.current_version()
        number = current.number if current else 0
        if based_on != number:
            raise ValidationError(
                _(
                    "Version %(number)s was saved while you were editing: open the template "
                    "again to see it, then make your change."
                )
                % {"number": number}
            )
        if current and current.title == title and current.body == body:
            raise ValidationError(_("Nothing changed: there is no new version to save."))
        version = LetterTemplateVersion.objects.create(
            template=locked,
            number=number + 1,
            title=title,
            body=body,
            note=note,
            created_by=acting_user,
        )
        record(
            Action.UPDATE,
            actor=acting_user,
            obj=locked,
            payload={"version": version.number, "note": note},
        )
    return version
