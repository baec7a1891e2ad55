"""Staff set the part of the day a person's automatic messages go out in."""

from __future__ import annotations

import pytest
from django.test import Client

from epitrace.audit.models import AuditEvent
from epitrace.people.models import Person
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db


def _url(pk: int) -> str:
    return f"/people/{pk}/contact-window/"


def test_a_tracer_sets_the_window_and_it_is_audited(personas: Personas, client: Client) -> None:
    person = personas.a.person
    client.force_login(personas.a.tracer)
    page = client.get(f"/people/{person.pk}/")
    assert b"contact-window" in page.content
    response = client.post(_url(person.pk), {"contact_window": "evening"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.contact_window == "evening"
    event = AuditEvent.objects.filter(object_id=str(person.pk), action="update").latest("seq")
    assert event.actor_id == personas.a.tracer.pk


def test_an_unknown_window_is_refused_and_changes_nothing(
    personas: Personas, client: Client
) -> None:
    person = personas.a.person
    client.force_login(personas.a.tracer)
    response = client.post(_url(person.pk), {"contact_window": "midnight"}, follow=True)
    assert "Choose one of the listed times." in response.content.decode()
    assert Person.objects.get(pk=person.pk).contact_window == "any"


def test_another_jurisdiction_gets_404(personas: Personas, client: Client) -> None:
    client.force_login(personas.b.tracer)
    assert client.post(_url(personas.a.person.pk), {"contact_window": "morning"}).status_code == 404
    assert client.get(_url(personas.a.person.pk)).status_code == 404
    assert Person.objects.get(pk=personas.a.person.pk).contact_window == "any"


def test_the_form_is_offered_only_to_those_who_may_change_the_person(
    personas: Personas, client: Client
) -> None:
    person = personas.a.person
    analyst = f.UserFactory.create()
    f.MembershipFactory.create(user=analyst, jurisdiction=personas.a.jurisdiction, role="analyst")
    client.force_login(analyst)
    page = client.get(f"/people/{person.pk}/")
    assert page.status_code == 200
    assert b"contact-window" not in page.content
    # A's case named a contact living in B: A's tracer may change them, and is offered it.
    elsewhere = f.PersonFactory.create(jurisdiction=personas.b.jurisdiction)
    f.ExposureFactory.create(case=personas.a.case, contact=elsewhere)
    client.force_login(personas.a.tracer)
    assert b"contact-window" in client.get(f"/people/{elsewhere.pk}/").content
    client.force_login(personas.b.tracer)
    assert b"contact-window" in client.get(f"/people/{elsewhere.pk}/").content
