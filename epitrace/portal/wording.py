"""The portal's words for things staff name in their own terms.

Settings, relations and needs keep their stored values (the staff screens'
choices) but are shown to the public in plain words, from this app's
catalogue. Symptom names come from the disease profile, which is written in
English: the shipped profiles' names are listed here so the catalogue
carries their translations; a name added later shows as written until a
translation is added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from epitrace.contacts.choices import Relation, Setting
from epitrace.interviews.choices import Need

SYMPTOM_NAMES = (
    gettext_noop("Chills"),
    gettext_noop("Congestion or runny nose"),
    gettext_noop("Cough"),
    gettext_noop("Diarrhea"),
    gettext_noop("Fatigue"),
    gettext_noop("Fever"),
    gettext_noop("Fever (100.4 °F / 38 °C or higher)"),
    gettext_noop("Headache"),
    gettext_noop("Muscle or body aches"),
    gettext_noop("Nausea or vomiting"),
    gettext_noop("New loss of taste or smell"),
    gettext_noop("New rash or lesions"),
    gettext_noop("Rash"),
    gettext_noop("Red, watery eyes"),
    gettext_noop("Runny nose"),
    gettext_noop("Shortness of breath or difficulty breathing"),
    gettext_noop("Sore throat"),
    gettext_noop("Swollen lymph nodes"),
)

PLACES = {
    Setting.WORKPLACE: _("Work"),
    Setting.SCHOOL: _("School"),
    Setting.DAYCARE: _("Daycare"),
    Setting.COLLEGE: _("College or university"),
    Setting.HEALTHCARE: _("Hospital, clinic or doctor's office"),
    Setting.CONGREGATE: _("Shelter, group home or nursing home"),
    Setting.SPORTS: _("Sports team or gym"),
    Setting.SOCIAL: _("Party, religious service or other gathering"),
    Setting.OTHER: _("Somewhere else"),
}
SETTINGS = {Setting.HOUSEHOLD: _("At home"), **PLACES}
RELATIONS = {
    Relation.HOUSEHOLD: _("Lives with me"),
    Relation.FAMILY: _("Family (does not live with me)"),
    Relation.PARTNER: _("Partner"),
    Relation.WORK: _("Co-worker"),
    Relation.SCHOOL: _("Classmate or teacher"),
    Relation.SOCIAL: _("Friend"),
    Relation.HEALTHCARE: _("Caregiver or patient"),
    Relation.OTHER: _("Other"),
}
NEEDS = {
    Need.FOOD: _("Food or groceries"),
    Need.HOUSING: _("A place to stay"),
    Need.MEDICATION: _("Medicine"),
    Need.INCOME: _("Money while I cannot work"),
    Need.CHILDCARE: _("Childcare"),
    Need.UTILITIES: _("Heating, electricity or other bills"),
    Need.OTHER: _("Something else"),
}


def symptom(entry: Mapping[str, Any]) -> str:
    label = str(entry.get("label") or entry.get("key") or "")
    return gettext(label) if label else ""


def _choices(labels: Mapping[Any, Any]) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in labels.items()]


def place_choices() -> list[tuple[str, str]]:
    return _choices(PLACES)


def setting_choices() -> list[tuple[str, str]]:
    return _choices(SETTINGS)


def relation_choices() -> list[tuple[str, str]]:
    return _choices(RELATIONS)


def need_choices() -> list[tuple[str, str]]:
    return _choices(NEEDS)


def label(labels: Mapping[Any, Any], value: str) -> str:
    return str(labels.get(value, value))
