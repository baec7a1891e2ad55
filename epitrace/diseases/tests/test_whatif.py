"""What-if: how current monitorees' end dates move, in the user's jurisdictions only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from epitrace.accounts.models import User
from epitrace.audit.models import AuditEvent
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.diseases import whatif
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules import parameters_of
from epitrace.diseases.tests.conftest import signed_in
from epitrace.diseases.tests.test_screens import form_data
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def sara(personas: Personas) -> DiseaseProfile:
    profile = personas.a.case.profile
    assert profile is not None
    assert profile.key == "covid-19-saraalert-2022"
    return profile


def preview(client: Client, profile: DiseaseProfile, **changes: Any) -> Any:
    return client.post(
        reverse("diseases:what_if", args=[profile.pk]), form_data(profile, **changes)
    )


def counts(impact: whatif.Impact) -> dict[str, int]:
    names = ("total", "earlier", "later", "unchanged", "dated", "undated")
    return {name: getattr(impact, name) for name in names}


def test_unchanged_parameters_move_nothing(
    personas: Personas, state_client: Client, sara: DiseaseProfile
) -> None:
    response = preview(state_client, sara)
    assert response.status_code == 200
    contacts, isolation = response.context["contacts"], response.context["isolation"]
    assert counts(contacts) == {**counts(whatif.Impact()), "total": 2, "unchanged": 2}
    assert counts(isolation) == {**counts(whatif.Impact()), "total": 2, "unchanged": 2}


def test_longer_periods_move_every_end_later(
    personas: Personas, state_client: Client, sara: DiseaseProfile
) -> None:
    response = preview(state_client, sara, quarantine_days=14, isolation_days_after_onset=9)
    contacts, isolation = response.context["contacts"], response.context["isolation"]
    assert (contacts.total, contacts.later) == (2, 2)
    assert (isolation.total, isolation.later) == (2, 2)
    new_ends = {e.last_exposure_date + dt.timedelta(days=14) for e in Exposure.objects.all()}
    assert {day for day, _, _ in contacts.histogram} == new_ends
    assert sum(count for _, count, _ in contacts.histogram) == 2
    body = response.content.decode()
    assert "end later" in body
    for day in new_ends:
        assert day.isoformat() in body
    sara.refresh_from_db()
    assert sara.parameters["quarantine_days"] == 10  # a preview saves nothing


def test_an_ongoing_household_exposure_counts_from_the_new_isolation_end(
    personas: Personas, state_client: Client, sara: DiseaseProfile
) -> None:
    exposure = personas.a.exposure
    exposure.ongoing = True
    exposure.save(update_fields=["ongoing"])
    case = personas.a.case
    assert case.onset_date is not None
    response = preview(state_client, sara, isolation_days_after_onset=8)
    new_isolation_end = case.onset_date + dt.timedelta(days=8)
    expected = max(new_isolation_end, exposure.last_exposure_date) + dt.timedelta(days=10)
    [row] = [r for r in response.context["contacts"].sample if r.record.pk == exposure.pk]
    assert row.new == expected


def test_only_records_on_this_version_still_followed_count(
    personas: Personas, state_client: Client, sara: DiseaseProfile
) -> None:
    Exposure.objects.filter(pk=personas.b.exposure.pk).update(monitoring_status="completed")
    Case.objects.filter(pk=personas.b.case.pk).update(status="closed", closed_at=timezone.now())
    other = f.CaseFactory.create(
        person=f.PersonFactory.create(jurisdiction=personas.a.jurisdiction),
        profile=DiseaseProfile.objects.get(key="covid-19-cdc-2020"),
    )
    f.ExposureFactory.create(
        case=other, contact=f.PersonFactory.create(jurisdiction=personas.a.jurisdiction)
    )
    response = preview(state_client, sara)
    assert response.context["contacts"].total == 1
    assert response.context["isolation"].total == 1


def test_an_lhd_epidemiologist_sees_only_their_own_monitorees(
    personas: Personas, epi_a: User, sara: DiseaseProfile
) -> None:
    response = preview(signed_in(epi_a), sara, quarantine_days=12)
    contacts, isolation = response.context["contacts"], response.context["isolation"]
    assert (contacts.total, isolation.total) == (1, 1)
    assert [row.record.pk for row in contacts.sample] == [personas.a.exposure.pk]
    assert [row.record.pk for row in isolation.sample] == [personas.a.case.pk]
    body = response.content.decode()
    assert personas.a.contact.full_name in body
    assert personas.b.contact.family_name not in body
    assert personas.b.case.number not in body
    assert "Save as new version" not in body  # an LHD does not change the state's rules


def test_the_sample_shown_is_audited(
    personas: Personas, state_client: Client, sara: DiseaseProfile
) -> None:
    preview(state_client, sara, quarantine_days=12)
    reads = AuditEvent.objects.filter(action="read", reason="profile what-if sample")
    seen = {(e.object_type, e.object_id) for e in reads}
    assert seen == {
        ("contacts.exposure", str(personas.a.exposure.pk)),
        ("contacts.exposure", str(personas.b.exposure.pk)),
        ("cases.case", str(personas.a.case.pk)),
        ("cases.case", str(personas.b.case.pk)),
    }
    assert all(e.actor_id == personas.state_epi.pk for e in reads)


def test_htmx_gets_the_workspace_only(state_client: Client, sara: DiseaseProfile) -> None:
    response = state_client.post(
        reverse("diseases:what_if", args=[sara.pk]),
        form_data(sara, quarantine_days=12),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="workspace"')
    assert "<html" not in body
    assert "end later" in body


def test_a_bad_value_previews_nothing(state_client: Client, sara: DiseaseProfile) -> None:
    response = preview(state_client, sara, quarantine_days=-3)
    assert "contacts" not in response.context
    assert "quarantine_days" in response.context["form"].errors
    assert not AuditEvent.objects.filter(reason="profile what-if sample").exists()


def test_the_preview_form_saves_as_a_new_version(
    state_client: Client, sara: DiseaseProfile
) -> None:
    page = state_client.get(reverse("diseases:what_if", args=[sara.pk])).content.decode()
    assert f'formaction="{reverse("diseases:new_version", args=[sara.pk])}"' in page


def test_the_database_groups_the_records(personas: Personas, sara: DiseaseProfile) -> None:
    """The queries do not grow with the number of monitorees (only the groups do)."""
    params = parameters_of({**sara.parameters, "quarantine_days": 12})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            whatif.exposure_impact(whatif.open_exposures(Exposure.objects.all(), sara), params)
            today = timezone.localdate()
            whatif.case_impact(whatif.isolating_cases(Case.objects.all(), sara, today), params)
        return len(captured)

    few = queries()
    for _ in range(30):
        f.ExposureFactory.create(case=personas.a.case)
    assert queries() == few
    impact = whatif.exposure_impact(whatif.open_exposures(Exposure.objects.all(), sara), params)
    assert impact.total == 32
    assert len(impact.sample) == whatif.SAMPLE_SIZE


def test_counts_by_kind_of_move() -> None:
    day = dt.date(2022, 3, 1)
    impact = whatif.Impact()
    impact.add(day, day, 3)
    impact.add(day, day - dt.timedelta(days=4), 2)
    impact.add(day, day + dt.timedelta(days=4), 1)
    impact.add(None, day, 5)
    impact.add(day, None, 7)
    assert counts(impact) == {
        "total": 18, "earlier": 2, "later": 1, "unchanged": 3, "dated": 5, "undated": 7,
    }  # fmt: skip
    assert impact.histogram == [
        (day - dt.timedelta(days=4), 2, 25),
        (day, 8, 100),
        (day + dt.timedelta(days=4), 1, 12),
        (None, 7, 88),
    ]
