"""The rules read from Epitrace's records: cases, exposures, lab results."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from epitrace.cases.models import Case
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules import InfectiousPeriod, Lab, ProfileError
from epitrace.diseases.rules.records import (
    UnknownProfile,
    case_infectious_period,
    case_isolation_end,
    exposure_quarantine_end,
    lab_inputs,
    profile_by_key,
    zone_of,
)
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db

ONSET = dt.date(2021, 3, 10)


def cdc_case(**kwargs: Any) -> Case:
    profile = DiseaseProfile.objects.get(key="covid-19-cdc-2020")
    defaults = {
        "report_date": ONSET + dt.timedelta(days=2),
        "onset_date": ONSET,
        "profile": profile,
    }
    return f.CaseFactory.create(**{**defaults, **kwargs})


def test_case_dates_follow_its_profile() -> None:
    case = cdc_case(specimen_date=ONSET + dt.timedelta(days=1))
    assert case_isolation_end(case) == ONSET + dt.timedelta(days=10)
    assert case_infectious_period(case) == InfectiousPeriod(
        ONSET - dt.timedelta(days=2), ONSET + dt.timedelta(days=10)
    )
    asymptomatic = cdc_case(asymptomatic=True, specimen_date=ONSET)
    assert case_isolation_end(asymptomatic) == ONSET + dt.timedelta(days=10)
    no_profile = cdc_case(profile=None)
    with pytest.raises(ProfileError, match="has no disease profile"):
        case_isolation_end(no_profile)


def test_contact_quarantine_and_the_ongoing_household_exposure() -> None:
    case = cdc_case()
    lde = ONSET + dt.timedelta(days=1)
    exposure = f.ExposureFactory.create(case=case, last_exposure_date=lde)
    assert exposure_quarantine_end(exposure) == lde + dt.timedelta(days=14)
    exposure.ongoing = True
    assert exposure_quarantine_end(exposure) == ONSET + dt.timedelta(days=10 + 14)
    # No date ends this case's isolation yet: the household contact has no end either.
    mpox = DiseaseProfile.objects.get(key="mpox-cdc-2022")
    case.profile, case.isolation_end = mpox, None
    assert exposure_quarantine_end(exposure) is None


def test_lab_results_in_the_persons_zone() -> None:
    collected = dt.datetime(2022, 2, 20, 3, tzinfo=dt.UTC)
    labs = [
        f.LabResultFactory.build(specimen_collected_at=collected, interpretation="negative"),
        f.LabResultFactory.build(
            specimen_collected_at=None, resulted_at=None, test_class="antigen"
        ),
        f.LabResultFactory.build(status="cancelled"),
    ]
    assert lab_inputs(labs, ZoneInfo("America/New_York")) == (
        Lab(dt.date(2022, 2, 19), "negative", "pcr"),
        Lab(None, "positive", "antigen"),
    )


def test_profiles_by_key_and_zones() -> None:
    assert profile_by_key("measles-cdc").disease.code == "measles"
    with pytest.raises(UnknownProfile, match="'nope'"):
        profile_by_key("nope")
    assert zone_of("America/Denver") == ZoneInfo("America/Denver")
    assert zone_of("Nowhere/Else") == zone_of("")
