"""The interview's endpoints through the front door: access, fragments, the case page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from epitrace.contacts.models import Exposure
from epitrace.interviews import contacts, services
from epitrace.interviews.choices import CallOutcome
from epitrace.interviews.models import CallAttempt, Interview
from epitrace.interviews.tests.conftest import World, entry
from epitrace.testing import factories as f
from epitrace.web.tests.utils import page_as_shown

pytestmark = pytest.mark.django_db
METHODS = ["get", "head", "post", "put", "patch", "delete", "options"]
HTMX = {"HX-Request": "true"}


def routes(case_pk: int, exposure_pk: int) -> dict[str, list[str]]:
    """Every route of the app, with the methods it takes."""
    one = {"pk": case_pk}
    both = {"pk": case_pk, "exposure_pk": exposure_pk}
    return {
        reverse("interviews:panels", kwargs=one): ["get", "head"],
        reverse("interviews:autosave", kwargs=one): ["post"],
        reverse("interviews:complete", kwargs=one): ["post"],
        reverse("interviews:attempt", kwargs=one): ["post"],
        reverse("interviews:contact_add", kwargs=one): ["post"],
        reverse("interviews:household_add", kwargs=one): ["post"],
        reverse("interviews:contact_edit", kwargs=both): ["get", "head", "post"],
        reverse("interviews:contact_remove", kwargs=both): ["post"],
    }


def autosave(client: Client, world: World, stamp: int = 1, **values: Any) -> Any:
    body = {"changes": {k: {"value": v, "stamp": stamp} for k, v in values.items()}}
    return client.post(
        reverse("interviews:autosave", args=[world.case.pk]),
        json.dumps(body),
        content_type="application/json",
    )


def case_page(client: Client, world: World) -> str:
    """The case page with the interview and contacts it loads right after."""
    return page_as_shown(client, reverse("case_detail", args=[world.case.pk]))


# --- Access -----------------------------------------------------------------------------------


def test_another_jurisdictions_case_is_not_found_by_any_method(
    client: Client, world: World
) -> None:
    exposure = f.ExposureFactory.create(case=world.case, contact=world.personas.a.contact)
    client.force_login(world.personas.b.tracer)
    failures = []
    for url in routes(world.case.pk, exposure.pk):
        for method in METHODS:
            status = getattr(client, method)(url).status_code
            if status != 404:
                failures.append(f"{method} {url}: {status}")
    assert not failures
    assert not Interview.objects.exists()
    assert not CallAttempt.objects.exists()
    assert Exposure.objects.filter(pk=exposure.pk).exists()


def test_another_cases_contact_is_not_found_from_this_case(client: Client, world: World) -> None:
    other = f.CaseFactory.create(
        person=f.PersonFactory.create(jurisdiction=world.case.jurisdiction)
    )
    theirs = f.ExposureFactory.create(case=other)
    client.force_login(world.tracer)
    for method in ("get", "post"):
        url = reverse("interviews:contact_edit", args=[world.case.pk, theirs.pk])
        assert getattr(client, method)(url).status_code == 404
    url = reverse("interviews:contact_remove", args=[world.case.pk, theirs.pk])
    assert client.post(url).status_code == 404
    assert Exposure.objects.filter(pk=theirs.pk).exists()


def test_a_method_a_route_does_not_take_is_refused_after_the_lookup(
    client: Client, world: World
) -> None:
    exposure = f.ExposureFactory.create(case=world.case, contact=world.personas.a.contact)
    client.force_login(world.tracer)
    for url, allowed in routes(world.case.pk, exposure.pk).items():
        for method in ("put", "patch", "delete", *(() if "get" in allowed else ("get",))):
            assert getattr(client, method)(url).status_code == 405, (method, url)


def test_a_read_only_role_sees_the_interview_but_cannot_save(client: Client, world: World) -> None:
    analyst = f.UserFactory.create(username="analyst.a")
    f.MembershipFactory.create(user=analyst, jurisdiction=world.case.jurisdiction, role="analyst")
    client.force_login(analyst)
    body = case_page(client, world)
    assert '<fieldset class="interview-form__all" disabled>' in body
    assert 'name="outcome"' not in body
    assert reverse("interviews:contact_add", args=[world.case.pk]) not in body
    assert autosave(client, world, notes="x").status_code == 404
    assert not Interview.objects.exists()


# --- The case page ----------------------------------------------------------------------------


def test_the_case_page_carries_the_interview_calls_and_contact_entry(
    client: Client, world: World
) -> None:
    client.force_login(world.tracer)
    body = case_page(client, world)
    assert 'data-autosave-url="/interviews/cases/' in body
    assert 'data-autosave="answers.vaccinated"' in body  # the profile's questions
    assert "Fever (100.4 °F / 38 °C or higher)" in body  # the profile's symptoms
    for value, key in (("no_answer", "1"), ("voicemail", "2"), ("completed", "5")):
        assert f'value="{value}"' in body
        assert f'data-shortcut="{key}" aria-keyshortcuts="{key}"' in body
    assert 'data-shortcut="c"' in body
    assert "interviews/interview.js" in body
    assert 'data-case-field="isolation_end">2020-12-17<' in body
    assert 'data-case-field="infectious_start">2020-12-05<' in body
    # Ids only in the page's addresses: no name, phone or date.
    assert "Delgado" not in body.split("data-autosave-url=")[1].split('"')[1]


def test_the_case_page_keeps_its_query_count_as_the_interview_grows(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    client.force_login(world.tracer)

    def grow(count: int, start: int) -> None:
        for i in range(start, start + count):
            services.do_log_attempt(world.case, CallOutcome.NO_ANSWER, acting_user=world.tracer)
            contacts.do_add_contact(
                world.case,
                entry(given_name=f"Contact{i}", family_name=f"Person{i}"),
                acting_user=world.tracer,
            )
        rows = [
            {"key": f"m{i}", "given_name": f"Member{i}", "family_name": "Delgado"}
            for i in range(start + count)
        ]
        body = {"changes": {"household": {"value": rows, "stamp": start + count}}}
        services.do_autosave(world.case, body, acting_user=world.tracer)

    grow(2, 0)
    with CaptureQueriesContext(connection) as few:
        case_page(client, world)
    grow(15, 2)
    with django_assert_max_num_queries(len(few)):
        body = case_page(client, world)
    assert body.count('data-row="m') == 17  # the template row's key is "__key__"


# --- Autosave ---------------------------------------------------------------------------------


def test_autosave_answers_with_what_it_kept(client: Client, world: World) -> None:
    client.force_login(world.tracer)
    first = autosave(client, world, 2000, notes="Prefers Spanish", onset_date="2020-12-06")
    assert first.status_code == 200
    assert first.json()["saved"] == ["notes", "onset_date"]
    assert first.json()["case"]["isolation_end"] == "2020-12-16"
    assert first.json()["case"]["infectious_start"] == "2020-12-04"
    late = autosave(client, world, 1000, notes="Prefers")
    assert late.json() == {
        **late.json(),
        "saved": [],
        "stale": {"notes": "Prefers Spanish"},
        "version": 1,
    }


@pytest.mark.parametrize(
    "content",
    [b"not json", b'{"changes": {"shoe_size": {"value": "44", "stamp": 1}}}', b"[]"],
)
def test_autosave_refuses_a_malformed_body(client: Client, world: World, content: bytes) -> None:
    client.force_login(world.tracer)
    url = reverse("interviews:autosave", args=[world.case.pk])
    response = client.post(url, content, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]


# --- Calls and completion ----------------------------------------------------------------------


def test_a_call_is_one_click_and_the_badges_follow(client: Client, world: World) -> None:
    client.force_login(world.tracer)
    url = reverse("interviews:attempt", args=[world.case.pk])
    response = client.post(url, {"outcome": "voicemail", "note": "left number"}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Call recorded: Left voicemail." in body
    assert "left number" in body
    assert 'id="case-badges" aria-label="Case status" hx-swap-oob="true"' in body
    assert "badge--investigation-attempted" in body
    assert 'id="case-work-panel" hx-swap-oob="true"' in body
    assert client.post(url, {"outcome": "shouted"}, headers=HTMX).status_code == 200
    assert CallAttempt.objects.count() == 1


def test_completing_shows_the_wrong_fields_then_completes(client: Client, world: World) -> None:
    client.force_login(world.tracer)
    url = reverse("interviews:complete", args=[world.case.pk])
    response = client.post(url, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The interview is not complete yet:" in body
    assert 'href="#id_identity_name">Name as confirmed</a>: This field is required.' in body
    assert 'aria-invalid="true"' in body

    autosave(
        client,
        world,
        identity_name="Rosa Delgado",
        identity_birth_date="1979-05-02",
        identity_method="name_dob",
    )
    response = client.post(url, headers=HTMX)
    assert response.headers["HX-Refresh"] == "true"
    assert Interview.objects.get().is_completed
    body = case_page(client, world)
    assert "Interview completed." in body
    assert "badge--investigation-completed" in body


# --- Contacts ---------------------------------------------------------------------------------

ENTRY = {
    "given_name": "Luis",
    "family_name": "Ortega",
    "phone": "860 555 0123",
    "relation": "work",
    "setting": "workplace",
    "last_exposure_date": "2020-12-06",
    "language": "es",
}


def test_the_quick_entry_adds_a_contact_and_is_ready_for_the_next(
    client: Client, world: World
) -> None:
    client.force_login(world.tracer)
    url = reverse("interviews:contact_add", args=[world.case.pk])
    body = client.post(url, ENTRY, headers=HTMX).content.decode()
    assert "Luis Ortega added; their follow-up is queued." in body
    assert 'id="contacts-table" hx-swap-oob="true"' in body
    assert "2020-12-20" in body  # the quarantine end, 14 days after 12-06
    # The next entry keeps the setting, relation and date; the name is empty and focused.
    assert (
        'name="given_name" maxlength="100" data-shortcut="c" aria-keyshortcuts="c" autofocus'
        in body
    )
    assert 'value="2020-12-06"' in body
    assert '<option value="workplace" selected>' in body
    exposure = Exposure.objects.get(case=world.case)
    assert exposure.contact.preferred_language == "es"
    assert exposure.contact.contact_points.get().value == "+18605550123"


def test_a_bad_entry_says_what_is_wrong(client: Client, world: World) -> None:
    client.force_login(world.tracer)
    url = reverse("interviews:contact_add", args=[world.case.pk])
    body = client.post(
        url, {**ENTRY, "phone": "12", "given_name": ""}, headers=HTMX
    ).content.decode()
    assert "“12” is not a phone number" in body
    assert "This field is required." in body
    assert not Exposure.objects.filter(case=world.case).exists()


def test_a_possible_match_is_asked_without_naming_a_hidden_person(
    client: Client, world: World
) -> None:
    f.PersonFactory.create(
        jurisdiction=world.personas.b.jurisdiction,
        given_name="Jonathan",
        family_name="Kowalczyk",
        birth_date=dt.date(1985, 4, 12),
        street="77 Secret Street",
    )
    client.force_login(world.tracer)
    url = reverse("interviews:contact_add", args=[world.case.pk])
    data = {**ENTRY, "given_name": "Peter", "family_name": "Kowalczyk", "birth_date": "1985-04-12"}
    body = client.post(url, data, headers=HTMX).content.decode()
    assert "This may be a person already known" in body
    assert "outside your jurisdictions" in body
    assert "Jonathan" not in body
    assert "Secret" not in body
    assert 'name="decision" value="new"' in body
    body = client.post(url, {**data, "decision": "new"}, headers=HTMX).content.decode()
    assert "Peter Kowalczyk added" in body


def test_household_members_are_added_in_one_click(client: Client, world: World) -> None:
    client.force_login(world.tracer)
    rows = [{"key": "m1", "given_name": "Ines", "family_name": "Delgado", "relation": "Spouse"}]
    autosave(client, world, household=rows)
    assert 'hx-vals=\'{"row": "m1"}\'' in case_page(client, world)
    url = reverse("interviews:household_add", args=[world.case.pk])
    body = client.post(url, {"row": "m1"}, headers=HTMX).content.decode()
    assert "Ines Delgado added as a household contact." in body
    assert 'id="household-status-m1" hx-swap-oob="true"' in body
    assert Exposure.objects.get(case=world.case).ongoing
    again = client.post(url, {"row": "m1"}, headers=HTMX).content.decode()
    assert "already a contact" in again


def test_a_contact_is_edited_and_removed_from_its_row(client: Client, world: World) -> None:
    exposure = contacts.do_add_contact(world.case, entry(), acting_user=world.tracer).exposure
    assert exposure is not None
    client.force_login(world.tracer)
    url = reverse("interviews:contact_edit", args=[world.case.pk, exposure.pk])
    form = client.get(url, headers=HTMX).content.decode()
    assert f'id="contact-row-{exposure.pk}"' in form
    assert 'value="2020-12-06"' in form
    bad = {"relation": "work", "setting": "workplace", "proximity": "close"}
    response = client.post(url, {**bad, "last_exposure_date": "2020-11-01"}, headers=HTMX)
    assert "Outside the infectious period" in response.content.decode()
    response = client.post(url, {**bad, "last_exposure_date": "2020-12-09"}, headers=HTMX)
    assert response.headers["HX-Retarget"] == "#contacts-table"
    assert "2020-12-23" in response.content.decode()
    exposure.refresh_from_db()
    assert (exposure.proximity, exposure.quarantine_end) == ("close", dt.date(2020, 12, 23))

    remove = reverse("interviews:contact_remove", args=[world.case.pk, exposure.pk])
    body = client.post(remove, headers=HTMX).content.decode()
    assert "Luis Ortega removed from this case" in body
    assert '<span class="count" id="contacts-count" hx-swap-oob="true">0</span>' in body
    assert not Exposure.objects.filter(pk=exposure.pk).exists()


def test_a_member_of_a_case_isolating_away_is_finished_in_the_entry_row(
    client: Client, world: World
) -> None:
    client.force_login(world.tracer)
    rows = [{"key": "m1", "given_name": "Ines", "family_name": "Delgado"}]
    autosave(client, world, household=rows, isolating_at_home=False)
    url = reverse("interviews:household_add", args=[world.case.pk])
    body = client.post(url, {"row": "m1"}, headers=HTMX).content.decode()
    assert "The case isolates away from home: give the last day together." in body
    assert 'name="household_row" value="m1"' in body
    assert 'name="given_name" value="Ines"' in body
    assert not Exposure.objects.filter(case=world.case).exists()

    add = reverse("interviews:contact_add", args=[world.case.pk])
    data = {
        **ENTRY,
        "given_name": "Ines",
        "family_name": "Delgado",
        "phone": "",
        "relation": "household",
        "setting": "household",
        "last_exposure_date": "2020-12-08",
        "household_row": "m1",
    }
    body = client.post(add, data, headers=HTMX).content.decode()
    assert "Ines Delgado added" in body
    assert 'id="household-status-m1" hx-swap-oob="true"' in body
    exposure = Exposure.objects.get(case=world.case)
    assert not exposure.ongoing
    assert exposure.quarantine_end == dt.date(2020, 12, 22)
    assert Interview.objects.get().data["household_contacts"] == {"m1": exposure.pk}
