"""The data migration completes the profiles of a database migrated before the engine."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules import parameters_of
from epitrace.diseases.tests.helpers import shipped

pytestmark = pytest.mark.django_db

migration = importlib.import_module("epitrace.diseases.migrations.0004_rule_parameters")

# The CDC 2020 profile as the first release shipped it.
OLD_CDC = {
    "reinfection_interval_days": 90,
    "incubation_period_days": 14,
    "infectious_days_before_onset": 2,
    "infectious_days_before_specimen": 2,
    "close_contact_distance_feet": 6,
    "close_contact_minutes": 15,
    "close_contact_window_hours": 24,
    "quarantine_days": 14,
    "quarantine_options": [
        {"key": "no_symptoms", "days": 10, "requires": "no_symptoms"},
        {"key": "negative_test", "days": 7, "requires": "negative_test", "test_on_or_after_day": 5},
    ],
    "household_ongoing_counts_from_isolation_end": True,
    "isolation_days_after_onset": 10,
    "isolation_days_after_specimen_asymptomatic": 10,
    "isolation_fever_free_hours": 24,
    "isolation_requires_symptoms_improving": True,
    "non_reporting_interval_hours": 24,
    "positive_test_classification": {"pcr": "confirmed", "antigen": "probable"},
}


def test_old_profiles_get_every_parameter_and_keep_edited_values() -> None:
    cdc = DiseaseProfile.objects.get(key="covid-19-cdc-2020")
    cdc.parameters = OLD_CDC
    cdc.save()
    sara = DiseaseProfile.objects.get(key="covid-19-saraalert-2021")
    old_sara = shipped("covid-19-saraalert-2021")
    for name in ("reduced_quarantine_days", "reminder_interval_hours", "close_inactive_days"):
        del old_sara[name]
    old_sara["recovery_negative_tests_hours_apart"] = 24
    old_sara["quarantine_days"] = 12  # an administrator's edit
    sara.parameters = old_sara
    sara.save()

    migration.forwards(apps, None)
    migration.forwards(apps, None)  # running it again changes nothing

    cdc.refresh_from_db()
    sara.refresh_from_db()
    assert cdc.parameters == shipped("covid-19-cdc-2020")
    assert sara.parameters == {**shipped("covid-19-saraalert-2021"), "quarantine_days": 12}
    for profile in DiseaseProfile.objects.all():
        parameters_of(profile)  # complete and consistent
