"""The users list: search, filters, paging and a query count that does not grow."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from epitrace.accounts.models import User
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

URL = reverse("manage:user_list")


def usernames(response: Any) -> set[str]:
    return {user.username for user in response.context["page"].object_list}


def add_staff(personas: Personas, count: int) -> None:
    team = f.TeamFactory.create(jurisdiction=personas.a.jurisdiction)
    for i in range(count):
        user = f.UserFactory.create(username=f"staff{i:03d}")
        f.MembershipFactory.create(user=user, jurisdiction=personas.a.jurisdiction, team=team)
        f.MembershipFactory.create(user=user, jurisdiction=personas.b.jurisdiction)
        Authenticator.objects.create(user=user, type="totp", data={})


def test_search_by_name_username_or_email(personas: Personas, client_a: Client) -> None:
    f.UserFactory.create(username="jo.kim", display_name="Josephine Kim", email="jk@lhd-a.org")
    f.MembershipFactory.create(
        user=User.objects.get(username="jo.kim"), jurisdiction=personas.a.jurisdiction
    )
    for text in ("josephine", "JO.K", "jk@lhd"):
        assert usernames(client_a.get(URL, {"q": text})) == {"jo.kim"}, text
    assert usernames(client_a.get(URL, {"q": "tracer.b"})) == set()


def test_filter_by_role_jurisdiction_and_status(personas: Personas, state_client: Client) -> None:
    response = state_client.get(URL, {"role": "tracer"})
    assert usernames(response) == {"tracer.a", "tracer.b"}
    response = state_client.get(URL, {"jurisdiction": personas.b.jurisdiction.pk})
    assert usernames(response) == {"tracer.b"}
    User.objects.filter(username="tracer.b").update(is_active=False)
    assert "tracer.b" in usernames(state_client.get(URL, {"status": "inactive"}))
    assert "tracer.b" not in usernames(state_client.get(URL, {"status": "active"}))


def test_filter_for_another_jurisdiction_is_a_field_error(
    personas: Personas, client_a: Client
) -> None:
    response = client_a.get(URL, {"jurisdiction": personas.b.jurisdiction.pk})
    assert "jurisdiction" in response.context["form"].errors
    assert "tracer.b" not in usernames(response)


def test_rows_show_roles_last_login_mfa_and_status(personas: Personas, client_a: Client) -> None:
    body = client_a.get(URL).content.decode()
    assert "Contact tracer / case investigator" in body
    assert "LHD A Health Department" in body
    assert "Never" in body  # tracer.a never signed in
    assert "Active" in body


def test_htmx_gets_only_the_results(personas: Personas, client_a: Client) -> None:
    response = client_a.get(URL, {"q": "tracer"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert 'hx-swap-oob="innerHTML"' in body
    assert "tracer.a" in body


def test_query_count_does_not_grow_with_the_page(personas: Personas, client_a: Client) -> None:
    add_staff(personas, 2)
    client_a.get(URL)  # warm the session and the content types
    with CaptureQueriesContext(connection) as few:
        assert client_a.get(URL).status_code == 200
    for i in range(40):
        user = f.UserFactory.create(username=f"more{i:03d}")
        f.MembershipFactory.create(user=user, jurisdiction=personas.a.jurisdiction)
    with CaptureQueriesContext(connection) as many:
        response = client_a.get(URL)
    assert len(response.context["page"].object_list) == 25
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert response.context["page"].paginator.num_pages == 2
