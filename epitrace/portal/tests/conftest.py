"""A Spanish-speaking case of December 2020 (CDC profile) with a self-interview link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from epitrace.cases.models import Case
from epitrace.diseases.models import DiseaseProfile
from epitrace.jurisdictions.models import PostalCode, Town
from epitrace.outreach.tests.conftest import smtp  # noqa: F401  # a real SMTP server
from epitrace.portal.choices import LinkPurpose
from epitrace.portal.links import issue_link
from epitrace.portal.session import FORM_KEY
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

ONSET = dt.date(2020, 12, 7)


@dataclass
class World:
    personas: Personas
    case: Case
    hartwell: Town


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    cache.clear()  # rate-limit counters of an earlier test


class PortalClient(Client):
    """A browser with no staff login, whose posts carry the page's form key."""

    def post(self, path: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        values = dict(data or {})
        values.setdefault("form_key", self.session.get(FORM_KEY, ""))
        return super().post(path, values, *args, **kwargs)


@pytest.fixture
def portal() -> Client:
    return PortalClient()


def december_case(personas: Personas, **person: object) -> Case:
    hartwell = Town.objects.filter(name="Hartwell").first() or f.TownFactory.create(
        name="Hartwell", jurisdiction=personas.a.jurisdiction
    )
    PostalCode.objects.get_or_create(code="06201", defaults={"town": hartwell})
    values: dict[str, object] = {
        "jurisdiction": personas.a.jurisdiction,
        "given_name": "Rosa",
        "family_name": "Delgado",
        "birth_date": dt.date(1979, 5, 2),
        "preferred_language": "es",
        "city": "Hartwell",
        "postcode": "06201",
        "town": hartwell,
    }
    values.update(person)
    return f.CaseFactory.create(
        person=f.PersonFactory.create(**values),
        profile=DiseaseProfile.objects.get(key="covid-19-cdc-2020"),
        report_date=dt.date(2020, 12, 10),
        specimen_date=dt.date(2020, 12, 8),
        onset_date=ONSET,
        isolation_start=ONSET,
        isolation_end=dt.date(2020, 12, 17),
    )


@pytest.fixture
def world(personas: Personas) -> World:
    case = december_case(personas)
    return World(personas, case, Town.objects.get(name="Hartwell"))


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def self_interview_link(case: Case, **kwargs: object) -> str:
    return issue_link(person=case.person, purpose=LinkPurpose.SELF_INTERVIEW, case=case, **kwargs)  # type: ignore[arg-type]
