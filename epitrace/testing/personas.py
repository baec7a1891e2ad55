"""Personas on both sides of the jurisdiction boundary (style.md rule 8).

LHD-A and LHD-B are siblings under the state. Each has a tracer and a case
with a lab result and a contact; the state epidemiologist sees both.
"""

from __future__ import annotations

from dataclasses import dataclass

from epitrace.accounts.models import User
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.labs.models import LabResult
from epitrace.people.models import Person
from epitrace.testing import factories as f


@dataclass
class Side:
    jurisdiction: Jurisdiction
    tracer: User
    person: Person
    case: Case
    lab: LabResult
    contact: Person
    exposure: Exposure


@dataclass
class Personas:
    state: Jurisdiction
    a: Side
    b: Side
    state_epi: User


def _side(letter: str) -> Side:
    jur = f.JurisdictionFactory.create(
        code=f"lhd-{letter}", name=f"LHD {letter.upper()} Health Department"
    )
    tracer = f.UserFactory.create(username=f"tracer.{letter}")
    f.MembershipFactory.create(user=tracer, jurisdiction=jur, role="tracer")
    family = "Alvarez" if letter == "a" else "Brzezinski"
    person = f.PersonFactory.create(jurisdiction=jur, given_name="Maria", family_name=family)
    f.ContactPointFactory.create(person=person)
    case = f.CaseFactory.create(person=person)
    lab = f.LabResultFactory.create(person=person, case=case)
    contact = f.PersonFactory.create(jurisdiction=jur, given_name="Tomas", family_name=family)
    exposure = f.ExposureFactory.create(case=case, contact=contact)
    return Side(jur, tracer, person, case, lab, contact, exposure)


def build_personas() -> Personas:
    state = Jurisdiction.objects.root()
    epi = f.UserFactory.create(username="state.epi")
    f.MembershipFactory.create(user=epi, jurisdiction=state, role="epidemiologist")
    return Personas(state=state, a=_side("a"), b=_side("b"), state_epi=epi)
