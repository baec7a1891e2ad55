"""A case of December 2020 under the CDC profile, with towns on both sides of the boundary.

CDC 2020-2021: infectious from 2 days before onset, isolation 10 days after
onset (or specimen), quarantine 14 days after the last exposure. The case's
onset is 2020-12-07: infectious 12-05 to 12-17, isolation ends 12-17.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from epitrace.accounts.models import User
from epitrace.cases.models import Case
from epitrace.diseases.models import DiseaseProfile
from epitrace.jurisdictions.models import PostalCode, Town
from epitrace.queues import services as queue
from epitrace.queues.choices import Kind
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

ONSET = dt.date(2020, 12, 7)
SPECIMEN = dt.date(2020, 12, 8)
REPORT = dt.date(2020, 12, 10)
ISOLATION_END = dt.date(2020, 12, 17)


@dataclass
class World:
    personas: Personas
    case: Case
    tracer: User
    hartwell: Town  # LHD A
    brookfield: Town  # LHD B


@pytest.fixture
def profile_2020(db: None) -> DiseaseProfile:
    return DiseaseProfile.objects.get(key="covid-19-cdc-2020")


@pytest.fixture
def world(personas: Personas, profile_2020: DiseaseProfile) -> World:
    a, b = personas.a, personas.b
    hartwell = f.TownFactory.create(name="Hartwell", jurisdiction=a.jurisdiction)
    PostalCode.objects.create(code="06201", town=hartwell)
    brookfield = f.TownFactory.create(name="Brookfield", jurisdiction=b.jurisdiction)
    PostalCode.objects.create(code="06301", town=brookfield)
    person = f.PersonFactory.create(
        jurisdiction=a.jurisdiction,
        given_name="Rosa",
        family_name="Delgado",
        birth_date=dt.date(1979, 5, 2),
        street="4 Mill Road",
        city="Hartwell",
        postcode="06201",
        town=hartwell,
    )
    case = f.CaseFactory.create(
        person=person,
        profile=profile_2020,
        report_date=REPORT,
        specimen_date=SPECIMEN,
        onset_date=ONSET,
        isolation_start=ONSET,
        isolation_end=ISOLATION_END,
    )
    return World(personas, case, a.tracer, hartwell, brookfield)


def claimed_investigation(case: Case, user: User) -> WorkItem:
    """The case's investigation item, claimed by ``user`` with Next."""
    item = queue.open_item(Kind.INVESTIGATION, case=case)
    claimed = queue.next_item(user)
    assert claimed is not None
    assert claimed.pk == item.pk
    return claimed


def entry(**values: object) -> dict[str, object]:
    """A cleaned contact entry, as ContactEntryForm gives it."""
    base: dict[str, object] = {
        "given_name": "Luis",
        "family_name": "Ortega",
        "phone": "",
        "relation": "work",
        "setting": "workplace",
        "last_exposure_date": dt.date(2020, 12, 6),
        "ongoing": False,
        "birth_date": None,
        "language": "en",
        "street": "",
        "city": "",
        "postcode": "",
        "state": "",
        "decision": "",
        "household_row": "",
    }
    base.update(values)
    return base
