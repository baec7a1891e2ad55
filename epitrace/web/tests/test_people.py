"""Person search and person page, on both sides of the jurisdiction boundary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from epitrace.audit.models import AuditEvent
from epitrace.outreach.models import Suppression
from epitrace.people.models import PersonIdentifier
from epitrace.testing.personas import Personas
from epitrace.web.search import case_number_pk, normalise_phone
from epitrace.web.tests import make
from epitrace.web.tests.utils import lazy_parts, page_as_shown, without_csrf_tokens

SEARCH = reverse("person_search")


def detail(pk: int) -> str:
    return reverse("person_detail", args=[pk])


def panels(pk: int) -> str:
    return reverse("person_panels", args=[pk])


def found(response) -> set[int]:
    page = response.context["page"]
    return {person.pk for person in page.object_list} if page else set()


def national(e164: str) -> str:
    """How a tracer would type the number: "(860) 555-0123"."""
    digits = e164.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


# --- Person page -------------------------------------------------------------


def test_person_page_shows_demographics_contacts_cases_labs(
    personas: Personas, client: Client
) -> None:
    side = personas.a
    PersonIdentifier.objects.create(
        person=side.person, authority="Hartford Hospital", type_code="MR", value="MRN-4417"
    )
    PersonIdentifier.objects.create(
        person=side.person, authority="SSA", type_code="SS", value="123456789"
    )
    client.force_login(side.tracer)
    response = client.get(detail(side.person.pk))
    first = response.content.decode()
    assert response.status_code == 200
    assert "Maria Alvarez" in first
    assert str(side.person.birth_date) in first
    assert "LHD A Health Department" in first
    phone = side.person.contact_points.get().value
    assert f'href="tel:{phone}"' in first
    # The records follow the first paint, in one request.
    assert lazy_parts(first) == [panels(side.person.pk)]
    assert "Hartford Hospital" not in first
    body = page_as_shown(client, detail(side.person.pk))
    assert "Hartford Hospital" in body
    assert "MRN-4417" in body
    assert "123456789" not in body  # shown masked
    assert "6789" in body
    assert side.case.number in body
    assert "SARS-CoV-2 RNA NAA+probe" in body


def test_contact_page_lists_exposures_with_case_links(personas: Personas, client: Client) -> None:
    side = personas.a
    client.force_login(side.tracer)
    body = page_as_shown(client, detail(side.contact.pk))
    assert "Exposures as a contact" in body
    assert reverse("case_detail", args=[side.case.pk]) in body
    assert "Household member" in body


def test_other_jurisdictions_person_is_not_found(personas: Personas, client: Client) -> None:
    client.force_login(personas.b.tracer)
    forbidden = client.get(detail(personas.a.person.pk))
    missing = client.get(detail(999_999))
    assert forbidden.status_code == missing.status_code == 404
    assert without_csrf_tokens(forbidden.content) == without_csrf_tokens(missing.content)
    assert client.get(detail(personas.a.contact.pk)).status_code == 404


def test_the_panels_are_a_read_of_the_person_and_hidden_like_it(
    personas: Personas, client: Client
) -> None:
    person = personas.a.person
    client.force_login(personas.b.tracer)
    forbidden = client.get(panels(person.pk))
    missing = client.get(panels(999_999))
    assert forbidden.status_code == missing.status_code == 404
    assert without_csrf_tokens(forbidden.content) == without_csrf_tokens(missing.content)
    assert not AuditEvent.objects.filter(action="read", person_id=person.pk).exists()
    denied = AuditEvent.objects.filter(action="denied", object_id=str(person.pk))
    assert denied.count() == 1

    client.force_login(personas.a.tracer)
    assert client.get(panels(person.pk)).status_code == 200
    read = AuditEvent.objects.filter(
        action="read", object_type="people.person", object_id=str(person.pk)
    ).get()
    assert (read.actor_id, read.reason, read.person_id) == (
        personas.a.tracer.pk,
        "records",
        person.pk,
    )
    assert client.post(panels(person.pk)).status_code == 405


def test_an_opted_out_phone_is_marked_on_the_first_paint(
    personas: Personas, client: Client
) -> None:
    side = personas.a
    phone = side.person.contact_points.get().value
    Suppression.objects.create(address=phone, channel="sms", reason="stop")
    client.force_login(side.tracer)
    assert "Opted out" in client.get(detail(side.person.pk)).content.decode()
    case_page = client.get(reverse("case_detail", args=[side.case.pk])).content.decode()
    assert "Opted out" in case_page
    Suppression.objects.filter(address=phone).update(lifted_at=timezone.now())  # START
    assert "Opted out" not in client.get(detail(side.person.pk)).content.decode()


def test_the_first_paint_is_who_how_to_reach_and_the_work_item(
    personas: Personas, client: Client
) -> None:
    """What the tracer sees at once after Next: the records come after."""
    client.force_login(personas.a.tracer)
    url = detail(personas.a.contact.pk)
    client.get(url)  # the session's first use settles it
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    later = ("labs_", "outreach_", "cases_", "contacts_", "people_personidentifier")
    for table in later:
        assert not any(sql.startswith(f'SELECT "{table}') for sql in reads), table
    assert len(reads) <= 10, "\n".join(reads)


def test_state_epidemiologist_opens_both_lhds_people(personas: Personas, client: Client) -> None:
    client.force_login(personas.state_epi)
    assert client.get(detail(personas.a.person.pk)).status_code == 200
    assert client.get(detail(personas.b.person.pk)).status_code == 200


def test_contact_living_elsewhere_stays_visible_to_the_eliciting_lhd(
    personas: Personas, client: Client
) -> None:
    """A's case named a contact who lives in B: A keeps sight of them (domain.md)."""
    elsewhere = make.person(jurisdiction=personas.b.jurisdiction, given_name="Elsa")
    make.exposure(case=personas.a.case, contact=elsewhere)
    client.force_login(personas.a.tracer)
    body = page_as_shown(client, detail(elsewhere.pk))
    assert "Elsa" in body
    assert reverse("case_detail", args=[personas.a.case.pk]) in body


def test_guardian_and_wards_are_restricted(personas: Personas, client: Client) -> None:
    side = personas.a
    child_here = make.person(
        jurisdiction=side.jurisdiction, given_name="Lucia", guardian=side.person
    )
    child_elsewhere = make.person(
        jurisdiction=personas.b.jurisdiction, given_name="Zofia", guardian=side.person
    )
    client.force_login(side.tracer)
    body = page_as_shown(client, detail(side.person.pk))
    assert detail(child_here.pk) in body
    assert "Zofia" not in body
    assert detail(child_elsewhere.pk) not in body
    body = page_as_shown(client, detail(child_here.pk))
    assert detail(side.person.pk) in body  # the guardian, in reach

    client.force_login(personas.b.tracer)
    body = page_as_shown(client, detail(child_elsewhere.pk))
    assert "Zofia" in body
    assert "Maria Alvarez" not in body  # the guardian lives in A


# --- Person search ------------------------------------------------------------


def test_empty_search_explains_how_to_search(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    response = client.get(SEARCH)
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "Search for a person by name, birth date or phone number." in response.content.decode()


@pytest.mark.parametrize("query", ["Alvarez", "maria alv", "Alvarez, Maria", "alvarez, m"])
def test_search_by_name(personas: Personas, client: Client, query: str) -> None:
    client.force_login(personas.a.tracer)
    assert personas.a.person.pk in found(client.post(SEARCH, {"q": query}))
    client.force_login(personas.b.tracer)
    assert found(client.post(SEARCH, {"q": query})) == set()


def test_search_by_birth_date(personas: Personas, client: Client) -> None:
    born = str(personas.a.person.birth_date)
    client.force_login(personas.a.tracer)
    assert personas.a.person.pk in found(client.post(SEARCH, {"born": born}))
    client.force_login(personas.b.tracer)
    assert personas.a.person.pk not in found(client.post(SEARCH, {"born": born}))


def test_search_by_phone_in_any_format(personas: Personas, client: Client) -> None:
    phone = personas.a.person.contact_points.get().value
    client.force_login(personas.a.tracer)
    for typed in (phone, national(phone), phone.removeprefix("+1")):
        assert found(client.post(SEARCH, {"phone": typed})) == {personas.a.person.pk}
    client.force_login(personas.b.tracer)
    response = client.post(SEARCH, {"phone": national(phone)})
    assert found(response) == set()
    assert "Alvarez" not in response.content.decode()


def test_state_epidemiologist_finds_both(personas: Personas, client: Client) -> None:
    client.force_login(personas.state_epi)
    people = found(client.post(SEARCH, {"q": "maria"}))
    assert {personas.a.person.pk, personas.b.person.pk} <= people


def test_bad_phone_is_an_error_not_a_search(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    response = client.post(SEARCH, {"phone": "call me"})
    assert response.context["page"] is None
    assert "This does not look like a phone number." in response.content.decode()
    fragment = client.post(SEARCH, {"phone": "call me"}, headers={"HX-Request": "true"})
    assert 'role="alert"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_search_results_show_phone_and_link(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    body = client.post(SEARCH, {"q": "Alvarez, Maria"}).content.decode()
    assert detail(personas.a.person.pk) in body
    assert national(personas.a.person.contact_points.get().value) in body
    assert "1 person" in body


def test_person_search_query_count_does_not_grow_with_rows(
    personas: Personas, client: Client, django_assert_max_num_queries
) -> None:
    side = personas.a

    def add_people(count: int) -> None:
        for _ in range(count):
            person = make.person(jurisdiction=side.jurisdiction, family_name="Alvarado")
            make.contact_point(person=person)

    add_people(3)
    client.force_login(side.tracer)
    with CaptureQueriesContext(connection) as few:
        client.post(SEARCH, {"q": "alva"})
    add_people(27)
    with django_assert_max_num_queries(len(few)):
        response = client.post(SEARCH, {"q": "alva"})
    assert len(response.context["page"].object_list) == 25


# --- Search rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "pk"),
    [("C-0000123", 123), ("c-123", 123), ("C0000123", 123), ("123", 123), (" 0042 ", 42)],
)
def test_case_number_forms(typed: str, pk: int) -> None:
    assert case_number_pk(typed) == pk


@pytest.mark.parametrize("typed", ["Carter", "C-12a", "", "12-34"])
def test_not_case_numbers(typed: str) -> None:
    assert case_number_pk(typed) is None


def test_phone_normalisation() -> None:
    assert normalise_phone("(860) 555-0123") == "+18605550123"
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("12") is None
    assert normalise_phone("not a phone") is None


@pytest.mark.django_db
def test_age_column_uses_birth_date(client: Client) -> None:
    person = make.person(birth_date=dt.date(1950, 1, 1))
    user = make.membership(jurisdiction=person.jurisdiction).user
    client.force_login(user)
    body = client.post(SEARCH, {"q": person.family_name}).content.decode()
    assert str(person.age) in body


def test_person_page_query_count_does_not_grow_with_records(
    personas: Personas, client: Client, django_assert_max_num_queries
) -> None:
    side = personas.a

    def add(count: int) -> None:
        for _ in range(count):
            case = make.case(person=make.person(jurisdiction=side.jurisdiction))
            make.exposure(case=case, contact=side.person)
            make.lab(person=side.person, case=side.case)

    add(2)
    client.force_login(side.tracer)
    with CaptureQueriesContext(connection) as few:
        client.get(detail(side.person.pk))
    with CaptureQueriesContext(connection) as few_in_panels:
        client.get(panels(side.person.pk))
    add(20)
    with django_assert_max_num_queries(len(few)):
        client.get(detail(side.person.pk))
    with django_assert_max_num_queries(len(few_in_panels)):
        response = client.get(panels(side.person.pk))
    assert len(response.context["as_contact"]) == 22
    assert len(response.context["labs"]) == 23
