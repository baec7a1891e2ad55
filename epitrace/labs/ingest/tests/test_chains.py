"""A contact who tests positive becomes a case, linked to the case they caught it from."""

from __future__ import annotations

import datetime as dt

import pytest

from epitrace.audit.models import AuditEvent
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.labs.ingest.synthetic import MessageFactory
from epitrace.labs.ingest.tests.test_pipeline import DAY, ingest, oru, person
from epitrace.people.models import Person, PersonIdentifier
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db
PCR = "94500-6^SARS-CoV-2 RNA NAA+probe^LN"


def _contact(last_exposure: dt.date) -> Exposure:
    """Maria Alvarez (the test person), elicited as a contact of another case."""
    who = person()
    maria = f.PersonFactory.create(
        given_name=who.given, family_name=who.family, birth_date=who.birth, sex=who.sex
    )
    PersonIdentifier.objects.create(
        person=maria, authority="State Public Health Laboratory", value=who.mrn
    )
    source = f.CaseFactory.create(report_date=DAY.date(), specimen_date=DAY.date())
    return f.ExposureFactory.create(case=source, contact=maria, last_exposure_date=last_exposure)


@pytest.mark.parametrize("batched", [True, False])
def test_the_contacts_positive_result_makes_a_case_linked_to_the_source(batched: bool) -> None:
    exposure = _contact(DAY.date() - dt.timedelta(days=3))
    factory = MessageFactory(seed=21)
    texts = [oru(factory, person(), positive=True, test=PCR)]
    if batched:  # the same with the message inside a batch of several
        others = [("Lucia", "Perez"), ("Pedro", "Santos"), ("Sofia", "Nguyen")]
        texts += [
            oru(
                factory,
                person(given=g, family=fam, mrn=f"O{g}", birth=dt.date(1990, 1, 2)),
                positive=False,
            )
            for g, fam in others
        ]
    summary = ingest(*texts)
    assert summary.persons_matched == 1
    assert summary.persons_created == len(texts) - 1
    assert summary.persons_created == len(texts) - 1
    exposure.refresh_from_db()
    new_case = Case.objects.get(person=exposure.contact)
    assert exposure.resulting_case == new_case
    assert exposure.monitoring_status == "became_case"
    assert AuditEvent.objects.filter(
        action="update", object_type="contacts.exposure", object_id=str(exposure.pk)
    ).exists()


def test_an_exposure_long_before_the_specimen_did_not_cause_it() -> None:
    exposure = _contact(DAY.date() - dt.timedelta(days=60))
    ingest(oru(MessageFactory(seed=22), person(), positive=True, test=PCR))
    exposure.refresh_from_db()
    assert exposure.resulting_case is None
    assert exposure.monitoring_status == "monitoring"
    assert Person.objects.count() == 2  # matched, not duplicated


def test_an_exposure_with_no_known_source_case_is_linked_by_its_own_disease() -> None:
    # Enrolled after an exposure notification: a disease and its rules, no case.
    exposure = _contact(DAY.date() - dt.timedelta(days=3))
    source = exposure.case
    assert source is not None
    assert source.profile_id is not None
    Exposure.objects.filter(pk=exposure.pk).update(
        case=None, disease_id=source.disease_id, profile_id=source.profile_id
    )
    ingest(oru(MessageFactory(seed=23), person(), positive=True, test=PCR))
    exposure.refresh_from_db()
    assert exposure.resulting_case == Case.objects.get(person=exposure.contact)
    assert exposure.monitoring_status == "became_case"
