"""Exposures with no known source case: their own disease and rules, one open enrolment."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from epitrace.contacts.choices import ExposureSource, MonitoringStatus
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import Disease, DiseaseProfile
from epitrace.diseases.rules.params import ProfileError
from epitrace.diseases.rules.records import exposure_profile, exposure_quarantine_end
from epitrace.people.models import Person
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db


def caseless(person: Person, day: dt.date, **values: object) -> Exposure:
    covid = Disease.objects.get(code="covid-19")
    fields: dict[str, object] = {
        "case": None,
        "contact": person,
        "disease": covid,
        "profile": DiseaseProfile.objects.in_force(covid, day),
        "source": ExposureSource.EN_ENROLMENT,
        "jurisdiction": person.jurisdiction,
        "last_exposure_date": day,
        "monitoring_status": MonitoringStatus.MONITORING,
    }
    fields.update(values)
    return Exposure.objects.create(**fields)


def test_an_exposure_to_a_case_takes_the_case_disease(personas: Personas) -> None:
    exposure = f.ExposureFactory.create(case=personas.a.case)
    assert exposure.disease_id == personas.a.case.disease_id
    assert exposure.source == ExposureSource.TRACER
    assert exposure_profile(exposure) == personas.a.case.profile


def test_a_caseless_exposure_runs_on_its_own_profile_version(personas: Personas) -> None:
    december = caseless(personas.a.contact, dt.date(2020, 12, 1))
    assert exposure_profile(december) == DiseaseProfile.objects.get(key="covid-19-cdc-2020")
    assert exposure_quarantine_end(december) == dt.date(2020, 12, 15)  # 14 days then
    later = caseless(
        f.PersonFactory.create(jurisdiction=personas.a.jurisdiction), dt.date(2022, 3, 1)
    )
    assert exposure_quarantine_end(later) == dt.date(2022, 3, 11)  # 10 days in 2022


def test_without_a_stored_version_the_one_in_force_on_the_date_applies(
    personas: Personas,
) -> None:
    exposure = caseless(personas.a.contact, dt.date(2020, 12, 1), profile=None)
    assert exposure_profile(exposure) == DiseaseProfile.objects.get(key="covid-19-cdc-2020")


def test_a_caseless_ongoing_exposure_has_no_end_yet(personas: Personas) -> None:
    exposure = caseless(personas.a.contact, dt.date(2020, 12, 1), ongoing=True)
    assert exposure_quarantine_end(exposure) is None


def test_an_exposure_needs_a_case_or_a_disease(personas: Personas) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        caseless(personas.a.contact, dt.date(2020, 12, 1), disease=None, profile=None)


def test_no_disease_profile_is_a_profile_error(personas: Personas) -> None:
    exposure = caseless(personas.a.contact, dt.date(1990, 1, 1), profile=None)
    with pytest.raises(ProfileError):
        exposure_quarantine_end(exposure)


def test_one_open_enrolment_per_person_and_disease(personas: Personas) -> None:
    person = personas.a.contact
    first = caseless(person, dt.date(2020, 12, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        caseless(person, dt.date(2020, 12, 3))
    # A tracer's exposure of the same person is another matter; so is a finished enrolment.
    f.ExposureFactory.create(case=personas.b.case, contact=person)
    first.monitoring_status = MonitoringStatus.COMPLETED
    first.save(update_fields=["monitoring_status"])
    assert caseless(person, dt.date(2020, 12, 20)).pk != first.pk


def test_a_caseless_exposure_is_seen_from_the_contact_jurisdiction_only(
    personas: Personas,
) -> None:
    exposure = caseless(personas.a.contact, dt.date(2020, 12, 1))
    assert Exposure.objects.restrict(personas.a.tracer, "view").filter(pk=exposure.pk).exists()
    assert not Exposure.objects.restrict(personas.b.tracer, "view").filter(pk=exposure.pk)


def test_the_migration_fills_the_disease_of_existing_exposures(personas: Personas) -> None:
    exposures = [f.ExposureFactory.create(case=personas.a.case) for _ in range(3)]
    rows = Exposure.objects.filter(pk__in=[e.pk for e in exposures])
    rows.update(disease=None)
    migration = importlib.import_module("epitrace.contacts.migrations.0002_exposure_without_case")
    migration.fill_disease(apps, None)
    filled = set(
        Exposure.objects.filter(pk__in=[e.pk for e in exposures]).values_list(
            "disease_id", flat=True
        )
    )
    assert filled == {personas.a.case.disease_id}
