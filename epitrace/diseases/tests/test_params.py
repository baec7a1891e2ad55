"""The parameter registry: every shipped profile is complete, a bad value is named."""

from __future__ import annotations

import json

import pytest

from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.reference import REFERENCE_FILE
from epitrace.diseases.rules import SPECS, ProfileError, RuleParameters, parameters_of
from epitrace.diseases.rules.params import ENGINE_PARAMETERS, SPEC_BY_NAME
from epitrace.diseases.tests.helpers import shipped

SHIPPED = [p["key"] for p in json.loads(REFERENCE_FILE.read_text())["profiles"]]


@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_profile_has_every_engine_parameter(key: str) -> None:
    values = shipped(key)
    rules = RuleParameters.from_mapping(values, key=key)
    assert rules.profile_key == key
    # Every stored parameter is described, so the edit form shows all of them.
    assert set(values) <= set(SPEC_BY_NAME), set(values) - set(SPEC_BY_NAME)


@pytest.mark.django_db
def test_the_migrated_database_holds_complete_profiles() -> None:
    assert sorted(DiseaseProfile.objects.values_list("key", flat=True)) == sorted(SHIPPED)
    for profile in DiseaseProfile.objects.all():
        assert parameters_of(profile).monitoring_period_days >= 1
        assert "quarantine_options" not in profile.parameters


def test_a_missing_parameter_names_the_profile_and_the_parameter() -> None:
    values = shipped("measles-cdc")
    del values["monitoring_period_days"]
    with pytest.raises(
        ProfileError, match=r"measles-cdc has no parameter 'monitoring_period_days'"
    ):
        RuleParameters.from_mapping(values, key="measles-cdc")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("monitoring_period_days", "14", "whole number"),
        ("monitoring_period_days", 0, "at least 1"),
        ("monitoring_period_days", True, "whole number"),
        ("quarantine_days", None, "a value is required"),
        ("quarantine_days", -1, "at least 0"),
        ("household_ongoing_counts_from_isolation_end", 1, "true or false"),
        ("reduced_quarantine_test_classes", ["pcr", "saliva"], "unknown test class 'saliva'"),
        ("reduced_quarantine_test_classes", [], "at least one"),
    ],
)
def test_a_bad_value_is_refused_with_its_reason(name: str, value: object, message: str) -> None:
    values = {**shipped("covid-19-saraalert-2022"), name: value}
    with pytest.raises(ProfileError, match=rf"'{name}' .*{message}"):
        RuleParameters.from_mapping(values, key="k")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reduced_quarantine_report_until_day", 9),
        ("reduced_quarantine_report_until_day", None),
        ("reduced_quarantine_tested_report_until_day", 6),
        ("reduced_quarantine_test_from_day", 10),
        ("reduced_quarantine_test_classes", None),
    ],
)
def test_contradicting_values_name_the_field_to_correct(field: str, value: object) -> None:
    values = {**shipped("covid-19-saraalert-2022"), field: value}
    with pytest.raises(ProfileError, match=field):
        RuleParameters.from_mapping(values, key="k")


def test_an_option_not_offered_needs_none_of_its_values() -> None:
    values = {
        **shipped("covid-19-saraalert-2022"),
        "reduced_quarantine_days": None,
        "reduced_quarantine_report_until_day": None,
    }
    assert RuleParameters.from_mapping(values).reduced_quarantine_days is None


def test_the_registry_describes_every_engine_parameter_once() -> None:
    names = [spec.name for spec in SPECS]
    assert len(names) == len(set(names))
    assert set(ENGINE_PARAMETERS) <= set(names)
    assert all(spec.label and spec.section for spec in SPECS)
    assert all(spec.null_means for spec in SPECS if spec.nullable)
