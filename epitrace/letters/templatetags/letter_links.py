"""The letters a record offers, for the case page and the person page.

The records handed in come from the page's own restricted queries; the
letter views check access again when a letter is opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.letters import services
from epitrace.letters.choices import KINDS_FOR, Subject, language_choices, letter_language
from epitrace.people.models import Person

register = template.Library()


@dataclass(frozen=True)
class LetterChoice:
    kind: str
    label: str
    url: str
    refusal: str | None


@dataclass(frozen=True)
class LetterMenu:
    """The letters of one record, with the language they open in by default."""

    key: str  # unique in the page, for element ids
    heading: str
    language: str
    languages: list[tuple[str, str]]
    choices: list[LetterChoice]


@register.simple_tag
def letter_menus(
    case: Case | None = None,
    cases: Iterable[Case] = (),
    exposures: Iterable[Any] = (),
    person: Person | None = None,
) -> list[LetterMenu]:
    """Menus for ``case`` and ``cases``, then for ``exposures`` (Exposure or rows holding one).

    ``person``, the page's own person, spares a query per record: the cases
    and exposures of a person's page all point back to them.
    """
    menus = []
    for item in [case] if case else [*cases]:
        _reuse(item, Case.person, person)
        menus.append(_case_menu(item))
    for row in exposures:
        exposure = getattr(row, "exposure", row)
        _reuse(exposure, Exposure.contact, person)
        menus.append(_exposure_menu(exposure))
    return menus


def _reuse(record: Case | Exposure, relation: Any, person: Person | None) -> None:
    field = relation.field
    if isinstance(person, Person) and getattr(record, field.attname) == person.pk:
        field.set_cached_value(record, person)


def _case_menu(case: Case) -> LetterMenu:
    choices = [
        LetterChoice(
            kind,
            _("%(kind)s letter") % {"kind": kind.label},
            reverse("letters:case_letter", args=[case.pk, kind.value]),
            services.case_refusal(case, kind),
        )
        for kind in KINDS_FOR[Subject.CASE]
    ]
    heading = _("Case %(number)s") % {"number": case.number}
    return _menu(f"case-{case.pk}", heading, case.person.preferred_language, choices)


def _exposure_menu(exposure: Exposure) -> LetterMenu:
    choices = [
        LetterChoice(
            kind,
            _("%(kind)s letter") % {"kind": kind.label},
            reverse("letters:exposure_letter", args=[exposure.pk, kind.value]),
            services.exposure_refusal(exposure, kind),
        )
        for kind in KINDS_FOR[Subject.EXPOSURE]
    ]
    heading = _("Exposure of %(date)s") % {"date": exposure.last_exposure_date.isoformat()}
    return _menu(f"exposure-{exposure.pk}", heading, exposure.contact.preferred_language, choices)


def _menu(key: str, heading: str, preferred: str, choices: list[LetterChoice]) -> LetterMenu:
    return LetterMenu(key, heading, letter_language(preferred), language_choices(), choices)
