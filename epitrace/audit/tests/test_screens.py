"""Who looked at this person; what did this user do: on both sides of the boundary."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from epitrace.audit import services
from epitrace.audit.choices import Action
from epitrace.audit.models import AuditEvent
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas
from epitrace.web.tests.utils import without_csrf_tokens

pytestmark = pytest.mark.urls("epitrace.audit.tests.urls")


def access_url(pk: int) -> str:
    return reverse("audit:person_access", args=[pk])


def activity_url(pk: int) -> str:
    return reverse("audit:user_activity", args=[pk])


def test_tracer_sees_who_looked_at_a_person_of_their_jurisdiction(
    personas: Personas, client: Client
) -> None:
    services.record_read(personas.state_epi, personas.a.person, reason="cluster review")
    client.force_login(personas.a.tracer)
    response = client.get(access_url(personas.a.person.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert "state.epi" in body
    assert "cluster review" in body
    rows = response.context["rows"]
    assert [row.event.actor_label for row in rows] == ["tracer.a", "state.epi"]  # newest first


def test_opening_the_access_log_is_itself_one_read_row(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    before = AuditEvent.objects.filter(action=Action.READ).count()
    client.get(access_url(personas.a.person.pk))
    reads = AuditEvent.objects.filter(action=Action.READ)
    assert reads.count() == before + 1
    read = reads.order_by("-id").first()
    assert read is not None
    assert (read.actor_id, read.person_id) == (personas.a.tracer.pk, personas.a.person.pk)


def test_other_jurisdictions_tracer_gets_404_like_a_missing_person(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.b.tracer)
    hidden = client.get(access_url(personas.a.person.pk))
    missing = client.get(access_url(999_999))
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf_tokens(hidden.content) == without_csrf_tokens(missing.content)
    denied = AuditEvent.objects.filter(action=Action.DENIED, actor=personas.b.tracer)
    assert set(denied.values_list("person_id", flat=True)) == {personas.a.person.pk, 999_999}


def test_state_epidemiologist_sees_both_sides(personas: Personas, client: Client) -> None:
    client.force_login(personas.state_epi)
    assert client.get(access_url(personas.a.person.pk)).status_code == 200
    assert client.get(access_url(personas.b.person.pk)).status_code == 200


def test_access_log_pages_in_a_fixed_number_of_queries(
    personas: Personas, client: Client, django_assert_max_num_queries, settings
) -> None:
    settings.EPITRACE_PAGE_SIZE = 10
    for _ in range(30):
        services.record_read(personas.state_epi, personas.a.person)
    client.force_login(personas.a.tracer)
    client.get(access_url(personas.a.person.pk))  # warm the session
    with django_assert_max_num_queries(22):
        response = client.get(access_url(personas.a.person.pk) + "?page=2")
    assert len(response.context["rows"]) == 10


# --- What did this user do ------------------------------------------------------


def _admin(username: str, jurisdiction, role: str = "user_admin"):
    user = f.UserFactory.create(username=username)
    f.MembershipFactory.create(user=user, jurisdiction=jurisdiction, role=role)
    return user


def test_user_admin_of_the_lhd_sees_what_its_tracer_did(personas: Personas, client: Client) -> None:
    services.record_read(personas.a.tracer, personas.a.person)
    client.force_login(_admin("admin.a", personas.a.jurisdiction))
    response = client.get(activity_url(personas.a.tracer.pk))
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert row.event.person_id == personas.a.person.pk
    assert row.person is None  # a user administrator may not see the person's name
    assert "Alvarez" not in response.content.decode()


def test_state_admin_sees_names_of_persons_in_reach(personas: Personas, client: Client) -> None:
    services.record_read(personas.a.tracer, personas.a.person)
    client.force_login(_admin("admin.state", personas.state, role="state_admin"))
    response = client.get(activity_url(personas.a.tracer.pk))
    [row] = response.context["rows"]
    assert row.person == personas.a.person
    assert "Maria Alvarez" in response.content.decode()


def test_activity_is_hidden_beyond_the_viewers_subtree(personas: Personas, client: Client) -> None:
    client.force_login(_admin("admin.b", personas.b.jurisdiction))
    hidden = client.get(activity_url(personas.a.tracer.pk))
    missing = client.get(activity_url(999_999))
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf_tokens(hidden.content) == without_csrf_tokens(missing.content)
    assert client.get(activity_url(personas.b.tracer.pk)).status_code == 200


def test_tracers_cannot_see_user_activity(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    assert client.get(activity_url(personas.a.tracer.pk)).status_code == 404
