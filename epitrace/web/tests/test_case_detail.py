"""The case page: every panel, and nothing from out of reach."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from epitrace.audit.models import AuditEvent
from epitrace.testing.personas import Personas
from epitrace.web.tests import make
from epitrace.web.tests.utils import lazy_parts, page_as_shown, without_csrf_tokens


def url(pk: int) -> str:
    return reverse("case_detail", args=[pk])


def test_case_page_shows_header_dates_contact_labs_and_contacts(
    personas: Personas, client: Client
) -> None:
    side = personas.a
    client.force_login(side.tracer)
    response = client.get(url(side.case.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert side.case.number in body
    assert reverse("person_detail", args=[side.person.pk]) in body
    assert "Maria Alvarez" in body
    assert "English" in body
    assert "badge--classification-confirmed" in body
    assert "badge--investigation-new" in body
    assert side.case.report_date.isoformat() in body
    phone = side.person.contact_points.get().value
    assert f'href="tel:{phone}"' in body
    assert side.person.street in body
    assert "State Public Health Laboratory" in body  # the lab result
    # The interview, the contacts and the chain follow the first paint, in one request.
    assert "Tomas Alvarez" not in body
    assert "No other case." not in body
    assert lazy_parts(body) == [reverse("interviews:panels", args=[side.case.pk])]
    shown = page_as_shown(client, url(side.case.pk))
    assert "Tomas Alvarez" in shown  # the contact elicited
    assert reverse("person_detail", args=[side.contact.pk]) in shown
    assert 'id="interview"' in shown
    assert "No other case." in shown


def test_the_panels_are_a_read_of_the_case_and_hidden_like_it(
    personas: Personas, client: Client
) -> None:
    panels = reverse("interviews:panels", args=[personas.a.case.pk])
    client.force_login(personas.b.tracer)
    forbidden = client.get(panels)
    missing = client.get(reverse("interviews:panels", args=[999_999]))
    assert forbidden.status_code == missing.status_code == 404
    assert without_csrf_tokens(forbidden.content) == without_csrf_tokens(missing.content)

    client.force_login(personas.a.tracer)
    assert client.get(panels).status_code == 200
    read = AuditEvent.objects.filter(
        action="read", object_type="cases.case", object_id=str(personas.a.case.pk)
    ).get()
    assert (read.actor_id, read.reason, read.person_id) == (
        personas.a.tracer.pk,
        "interview",
        personas.a.person.pk,
    )


def test_other_jurisdictions_case_is_not_found(personas: Personas, client: Client) -> None:
    client.force_login(personas.b.tracer)
    forbidden = client.get(url(personas.a.case.pk))
    missing = client.get(url(999_999))
    assert forbidden.status_code == missing.status_code == 404
    assert without_csrf_tokens(forbidden.content) == without_csrf_tokens(missing.content)


def test_state_epidemiologist_opens_both_lhds_cases(personas: Personas, client: Client) -> None:
    client.force_login(personas.state_epi)
    assert client.get(url(personas.a.case.pk)).status_code == 200
    assert client.get(url(personas.b.case.pk)).status_code == 200


def test_transmission_chain_hides_a_source_case_out_of_reach(
    personas: Personas, client: Client
) -> None:
    """B's case person was also named as a contact of A's case (cross-border exposure)."""
    exposure = make.exposure(
        case=personas.a.case,
        contact=personas.b.person,
        jurisdiction=personas.b.jurisdiction,
        resulting_case=personas.b.case,
    )
    client.force_login(personas.b.tracer)
    body = page_as_shown(client, url(personas.b.case.pk))
    assert "Exposures of this person as a contact" in body
    assert "A case outside your jurisdictions" in body
    assert personas.a.case.number not in body
    assert "Alvarez" not in body
    assert "Led to this case" in body

    client.force_login(personas.state_epi)
    body = page_as_shown(client, url(personas.b.case.pk))
    assert personas.a.case.number in body
    assert reverse("case_detail", args=[exposure.case_id]) in body


def test_elicited_contact_who_became_a_case_links_forward(
    personas: Personas, client: Client
) -> None:
    side = personas.a
    contact_case = make.case(person=side.contact)
    side.exposure.resulting_case = contact_case
    side.exposure.save(update_fields=["resulting_case"])
    client.force_login(side.tracer)
    assert contact_case.number in page_as_shown(client, url(side.case.pk))


def test_guardian_is_shown_only_when_visible(personas: Personas, client: Client) -> None:
    side = personas.a
    visible_parent = make.person(jurisdiction=side.jurisdiction, given_name="Paula")
    side.person.guardian = visible_parent
    side.person.guardian_relation = "mother"
    side.person.save(update_fields=["guardian", "guardian_relation"])
    client.force_login(side.tracer)
    assert "Paula" in client.get(url(side.case.pk)).content.decode()

    hidden_parent = make.person(jurisdiction=personas.b.jurisdiction, given_name="Hidda")
    side.person.guardian = hidden_parent
    side.person.save(update_fields=["guardian"])
    assert "Hidda" not in client.get(url(side.case.pk)).content.decode()


def test_other_cases_of_the_person_are_listed(personas: Personas, client: Client) -> None:
    side = personas.a
    earlier = make.case(person=side.person, episode=2, classification="probable")
    client.force_login(side.tracer)
    body = page_as_shown(client, url(side.case.pk))
    assert earlier.number in body


@pytest.mark.django_db
def test_referral_only_role_cannot_open_cases(client: Client) -> None:
    case = make.case()
    membership = make.membership(jurisdiction=case.jurisdiction, role="cbo_coordinator")
    client.force_login(membership.user)
    assert client.get(url(case.pk)).status_code == 404


def test_case_page_query_count_does_not_grow_with_contacts_and_labs(
    personas: Personas, client: Client, django_assert_max_num_queries
) -> None:
    side = personas.a

    def add(count: int) -> None:
        for _ in range(count):
            contact = make.person(jurisdiction=side.jurisdiction)
            make.exposure(case=side.case, contact=contact)
            make.lab(person=side.person, case=side.case)
            source = make.case(person=make.person(jurisdiction=side.jurisdiction))
            make.exposure(case=source, contact=side.person)

    add(2)
    client.force_login(side.tracer)
    panels = reverse("interviews:panels", args=[side.case.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url(side.case.pk))
    with CaptureQueriesContext(connection) as few_in_panels:
        client.get(panels)
    add(20)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url(side.case.pk))
    assert len(response.context["labs"]) == 23
    with django_assert_max_num_queries(len(few_in_panels)):
        response = client.get(panels)
    assert len(response.context["elicited"]) == 23
    assert len(response.context["as_contact"]) == 22


def test_the_first_paint_is_a_handful_of_queries(personas: Personas, client: Client) -> None:
    """What the tracer sees at once after Next: the sheet and the contacts come after."""
    client.force_login(personas.a.tracer)
    client.get(url(personas.a.case.pk))  # the session's first use settles it
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(personas.a.case.pk)).status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not any('"interviews_' in sql for sql in reads)
    assert not any(sql.startswith('SELECT "contacts_exposure"') for sql in reads)
    # The opted-out phones come with the phones.
    assert len(reads) <= 12, "\n".join(reads)
