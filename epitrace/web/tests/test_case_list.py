"""The case list: filters, search, paging, htmx fragments and jurisdiction scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from epitrace.testing.personas import Personas
from epitrace.web.tests import make

URL = reverse("case_list")


def numbers(response) -> set[str]:
    return {case.number for case in response.context["page"].object_list}


def test_case_list_renders_columns(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert personas.a.case.number in body
    assert "Alvarez, Maria" in body
    assert "COVID-19" in body
    assert "LHD A Health Department" in body
    assert "1 case" in body
    assert "page 1 of 1" in body
    assert 'id="results"' in body
    # The search posts: a typed name never lands in a URL.
    assert 'method="post"' in body
    assert 'hx-post="/cases/"' in body
    assert "hx-push-url" not in body


def test_a_name_in_the_query_string_is_ignored(client: Client, personas: Personas) -> None:
    client.force_login(personas.a.tracer)
    assert numbers(client.get(URL, {"q": "Nobody"})) == {personas.a.case.number}


def test_tracer_does_not_see_other_jurisdictions_cases(personas: Personas, client: Client) -> None:
    client.force_login(personas.b.tracer)
    response = client.get(URL)
    assert numbers(response) == {personas.b.case.number}
    assert personas.a.case.number not in response.content.decode()
    assert "Alvarez" not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["Alvarez", "alv", "Maria Alvarez", "Alvarez, Maria", "alvarez,", "CASE-NUMBER", "DIGITS"],
)
def test_search_does_not_reach_across_jurisdictions(
    personas: Personas, client: Client, query: str
) -> None:
    query = query.replace("CASE-NUMBER", personas.a.case.number).replace(
        "DIGITS", str(personas.a.case.pk)
    )
    client.force_login(personas.b.tracer)
    assert numbers(client.post(URL, {"q": query})) == set()
    client.force_login(personas.a.tracer)
    assert numbers(client.post(URL, {"q": query})) == {personas.a.case.number}


def test_state_epidemiologist_sees_both_lhds(personas: Personas, client: Client) -> None:
    client.force_login(personas.state_epi)
    response = client.get(URL)
    assert numbers(response) == {personas.a.case.number, personas.b.case.number}
    assert numbers(client.post(URL, {"q": "Maria"})) == {
        personas.a.case.number,
        personas.b.case.number,
    }
    assert numbers(client.post(URL, {"q": "brz, mar"})) == {personas.b.case.number}


def test_jurisdiction_choices_list_only_visible_jurisdictions(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.b.tracer)
    response = client.get(URL)
    choices = list(response.context["filter"].form.fields["jurisdiction"].queryset)
    assert choices == [personas.b.jurisdiction]
    assert "LHD A Health Department" not in response.content.decode()


def test_other_jurisdiction_in_the_url_is_rejected_not_applied(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.b.tracer)
    response = client.get(URL, {"jurisdiction": personas.a.jurisdiction.pk})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["jurisdiction"]
    assert numbers(response) == {personas.b.case.number}


def test_state_epidemiologist_filters_by_jurisdiction(personas: Personas, client: Client) -> None:
    client.force_login(personas.state_epi)
    response = client.get(URL)
    choices = set(response.context["filter"].form.fields["jurisdiction"].queryset)
    assert {personas.state, personas.a.jurisdiction, personas.b.jurisdiction} <= choices
    filtered = client.get(URL, {"jurisdiction": personas.a.jurisdiction.pk})
    assert numbers(filtered) == {personas.a.case.number}
    whole_state = client.get(URL, {"jurisdiction": personas.state.pk})
    assert len(numbers(whole_state)) == 2


def test_filters_by_status_classification_investigation_and_dates(
    personas: Personas, client: Client
) -> None:
    side = personas.a
    old = make.case(
        person=make.person(jurisdiction=side.jurisdiction),
        classification="probable",
        investigation_status="completed",
        report_date=dt.date(2024, 1, 10),
    )
    client.force_login(side.tracer)
    assert numbers(client.get(URL, {"classification": "probable"})) == {old.number}
    assert numbers(client.get(URL, {"investigation_status": "new"})) == {side.case.number}
    assert numbers(client.get(URL, {"status": "closed"})) == set()
    assert numbers(client.get(URL, {"report_to": "2024-01-31"})) == {old.number}
    assert numbers(client.get(URL, {"report_from": "2024-02-01"})) == {side.case.number}
    disease = side.case.disease_id
    assert len(numbers(client.get(URL, {"disease": disease}))) == 2


def test_sorted_by_report_date_newest_first(personas: Personas, client: Client) -> None:
    side = personas.a
    older = make.case(
        person=make.person(jurisdiction=side.jurisdiction), report_date=dt.date(2024, 1, 1)
    )
    client.force_login(side.tracer)
    page = client.get(URL).context["page"]
    assert [case.pk for case in page.object_list] == [side.case.pk, older.pk]


def test_htmx_request_gets_only_the_results_fragment(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    response = client.post(URL, {"q": "alv"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'class="topbar"' not in body
    assert personas.a.case.number in body
    assert 'hx-swap-oob="innerHTML"' in body
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_full_page(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    response = client.get(URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_paging_25_per_page(personas: Personas, client: Client) -> None:
    side = personas.a
    for _ in range(25):
        make.case(person=make.person(jurisdiction=side.jurisdiction))
    client.force_login(side.tracer)
    first = client.get(URL)
    assert len(first.context["page"].object_list) == 25
    assert "26 cases" in first.content.decode()
    assert "page 1 of 2" in first.content.decode()
    second = client.get(URL, {"page": 2})
    assert len(second.context["page"].object_list) == 1
    assert "page 2 of 2" in second.content.decode()


def test_case_list_query_count_does_not_grow_with_rows(
    personas: Personas, client: Client, django_assert_max_num_queries
) -> None:
    side = personas.a

    def add_cases(count: int) -> None:
        for _ in range(count):
            case = make.case(person=make.person(jurisdiction=side.jurisdiction))
            make.lab(person=case.person, case=case)

    add_cases(2)  # 3 cases with the persona's own
    client.force_login(side.tracer)
    with CaptureQueriesContext(connection) as few:
        client.post(URL, {"q": ""})
    add_cases(27)  # 30 cases
    with django_assert_max_num_queries(len(few)):
        response = client.post(URL, {"q": ""})
    assert len(response.context["page"].object_list) == 25
