"""Profile screens: everyone reads, the state changes, locked versions, audited changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from epitrace.accounts.models import User
from epitrace.audit.models import AuditEvent
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.tests.conftest import signed_in
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db

METHODS = ["get", "post", "put", "patch", "delete", "options"]


def version(key: str) -> DiseaseProfile:
    return DiseaseProfile.objects.get(key=key)


def form_data(profile: DiseaseProfile, **changes: Any) -> dict[str, Any]:
    """What the parameter form posts for ``profile``'s values with ``changes``."""
    data: dict[str, Any] = {}
    for name, value in {**profile.parameters, **changes}.items():
        if name == "reduced_quarantine_test_classes" and value is None:
            continue  # no box ticked: a browser sends nothing
        if isinstance(value, bool):
            data[name] = "true" if value else "false"
        elif isinstance(value, dict):
            data[name] = "\n".join(f"{k} = {v}" for k, v in value.items())
        elif value is None:
            data[name] = ""
        else:
            data[name] = value
    return data


def events(action: str, profile: DiseaseProfile) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=action, object_type="diseases.diseaseprofile", object_id=str(profile.pk)
        )
    )


# --- Reading ---------------------------------------------------------------------------


def test_every_staff_member_reads_the_profiles(personas: Personas, tracer_client: Client) -> None:
    page = tracer_client.get(reverse("diseases:list"))
    assert page.status_code == 200
    body = page.content.decode()
    for profile in DiseaseProfile.objects.all():
        assert reverse("diseases:detail", args=[profile.pk]) in body
    assert "In force" in body
    assert "Cases</th>" not in body  # usage counts are for those who change profiles

    detail = tracer_client.get(reverse("diseases:detail", args=[version("measles-cdc").pk]))
    text = detail.content.decode()
    assert "4 days" in text  # infectious 4 days either side of the rash
    assert "Red, watery eyes" in text  # a symptom
    assert "MMR doses received" in text  # a question
    assert "Edit parameters" not in text
    assert "What if" not in text


def test_the_menu_links_to_the_profiles(tracer_client: Client) -> None:
    assert reverse("diseases:list") in tracer_client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("name", ["detail", "edit", "new_version", "what_if"])
def test_an_unknown_version_is_404_for_every_method(state_client: Client, name: str) -> None:
    url = reverse(f"diseases:{name}", args=[999999])
    for method in METHODS:
        assert getattr(state_client, method)(url).status_code == 404, method


def test_a_version_page_takes_no_post(state_client: Client) -> None:
    url = reverse("diseases:detail", args=[version("measles-cdc").pk])
    assert state_client.post(url).status_code == 405


# --- Who may change --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["edit", "new_version", "what_if"])
def test_a_tracer_may_not_change_or_preview(tracer_client: Client, name: str) -> None:
    url = reverse(f"diseases:{name}", args=[version("measles-cdc").pk])
    assert tracer_client.get(url).status_code == 403
    assert tracer_client.post(url, {}).status_code == 403


def test_an_lhd_epidemiologist_previews_but_does_not_change(epi_a: User) -> None:
    client = signed_in(epi_a)
    pk = version("measles-cdc").pk
    assert client.get(reverse("diseases:what_if", args=[pk])).status_code == 200
    assert client.get(reverse("diseases:edit", args=[pk])).status_code == 403
    assert client.post(reverse("diseases:new_version", args=[pk]), {}).status_code == 403
    page = client.get(reverse("diseases:detail", args=[pk])).content.decode()
    assert "What if" in page
    assert "New version" not in page


def test_a_state_administrator_changes_profiles(personas: Personas) -> None:
    admin = f.UserFactory.create(username="state.admin")
    f.MembershipFactory.create(user=admin, jurisdiction=personas.state, role="state_admin")
    url = reverse("diseases:edit", args=[version("measles-cdc").pk])
    assert signed_in(admin).get(url).status_code == 200


# --- Editing in place --------------------------------------------------------------------


def test_an_unused_version_is_edited_in_place_and_audited(
    personas: Personas, state_client: Client
) -> None:
    measles = version("measles-cdc")
    url = reverse("diseases:edit", args=[measles.pk])
    response = state_client.post(url, form_data(measles, monitoring_period_days=28))
    assert response.status_code == 302
    measles.refresh_from_db()
    assert measles.parameters["monitoring_period_days"] == 28
    assert measles.parameters["onset_event"] == "rash"  # the others are kept
    [event] = events("update", measles)
    assert event.actor_id == personas.state_epi.pk
    assert event.payload.data["changes"] == {"parameters.monitoring_period_days": [21, 28]}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"monitoring_period_days": "three weeks"}, "monitoring_period_days", "whole number"),
        ({"monitoring_period_days": 0}, "monitoring_period_days", "greater than or equal to 1"),
        ({"quarantine_days": ""}, "quarantine_days", "required"),
        ({"positive_test_classification": "pcr = certain"}, "positive_test_classification",
         "unknown classification 'certain'"),
    ],
)  # fmt: skip
def test_a_bad_value_is_shown_on_its_field(
    state_client: Client, changes: dict, field: str, message: str
) -> None:
    measles = version("measles-cdc")
    before = dict(measles.parameters)
    response = state_client.post(
        reverse("diseases:edit", args=[measles.pk]), form_data(measles, **changes)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    measles.refresh_from_db()
    assert measles.parameters == before


def test_contradicting_values_are_shown_on_the_field_to_correct(state_client: Client) -> None:
    # An unused copy offering the shorter quarantine, to correct in place.
    sara = version("covid-19-saraalert-2022")
    draft = DiseaseProfile.objects.create(
        disease=sara.disease,
        key="covid-draft",
        title="Draft",
        effective_from=dt.date(2030, 1, 1),
        parameters=dict(sara.parameters),
    )
    response = state_client.post(
        reverse("diseases:edit", args=[draft.pk]),
        form_data(draft, reduced_quarantine_report_until_day=8),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reduced_quarantine_report_until_day"]


def test_a_version_cases_run_on_is_locked(personas: Personas, state_client: Client) -> None:
    sara = personas.a.case.profile
    assert sara is not None
    assert sara.key == "covid-19-saraalert-2022"
    url = reverse("diseases:edit", args=[sara.pk])
    page = state_client.get(url)
    assert page.status_code == 200
    assert "cannot be edited in place" in page.content.decode()
    refused = state_client.post(url, form_data(sara, monitoring_period_days=7))
    assert refused.status_code == 409
    sara.refresh_from_db()
    assert sara.parameters["monitoring_period_days"] == 10
    assert not events("update", sara)


# --- A new version -----------------------------------------------------------------------


def test_a_new_version_takes_over_from_a_date(personas: Personas, state_client: Client) -> None:
    sara = version("covid-19-saraalert-2022")
    start = timezone.localdate() + dt.timedelta(days=3)
    data = {
        **form_data(sara, monitoring_period_days=7),
        "effective_from": start.isoformat(),
        "key": "covid-19-state-short",
        "title": "COVID-19, 7-day monitoring",
    }
    response = state_client.post(reverse("diseases:new_version", args=[sara.pk]), data)
    created = version("covid-19-state-short")
    assert response.status_code == 302
    assert response["Location"] == reverse("diseases:detail", args=[created.pk])
    sara.refresh_from_db()
    assert sara.effective_to == start - dt.timedelta(days=1)
    assert (created.effective_from, created.effective_to) == (start, None)
    assert created.parameters["monitoring_period_days"] == 7
    assert created.based_on == sara
    assert created.symptoms == sara.symptoms
    assert DiseaseProfile.objects.in_force(sara.disease, start) == created
    assert DiseaseProfile.objects.in_force(sara.disease, start - dt.timedelta(days=1)) == sara
    [closed] = events("update", sara)
    assert closed.payload.data["changes"] == {
        "effective_to": [None, (start - dt.timedelta(days=1)).isoformat()]
    }
    [made] = events("create", created)
    assert made.actor_id == personas.state_epi.pk
    assert made.payload.data["changes"]["parameters.monitoring_period_days"] == [None, 7]


@pytest.mark.parametrize(
    ("effective_from", "key", "field"),
    [
        ("2022-01-01", "covid-new", "effective_from"),  # the copied version's own first day
        ("2021-06-01", "covid-new", "effective_from"),
        ("2030-01-01", "covid-19-saraalert-2021", "key"),
    ],
)
def test_a_new_version_needs_a_start_inside_the_period_and_a_free_key(
    state_client: Client, effective_from: str, key: str, field: str
) -> None:
    sara = version("covid-19-saraalert-2022")
    data = {**form_data(sara), "effective_from": effective_from, "key": key, "title": "T"}
    response = state_client.post(reverse("diseases:new_version", args=[sara.pk]), data)
    assert response.status_code == 200
    assert field in response.context["version_form"].errors
    assert DiseaseProfile.objects.count() == 5
    sara.refresh_from_db()
    assert sara.effective_to is None


def test_a_closed_version_can_be_split_inside_its_period(state_client: Client) -> None:
    cdc = version("covid-19-cdc-2020")
    data = {**form_data(cdc), "effective_from": "2020-12-14", "key": "cdc-dec", "title": "Dec"}
    state_client.post(reverse("diseases:new_version", args=[cdc.pk]), data)
    cdc.refresh_from_db()
    assert cdc.effective_to == dt.date(2020, 12, 13)
    assert version("cdc-dec").effective_to == dt.date(2021, 12, 31)
    late = {**data, "effective_from": "2022-02-01", "key": "cdc-late"}
    response = state_client.post(reverse("diseases:new_version", args=[cdc.pk]), late)
    assert "effective_from" in response.context["version_form"].errors
