"""The door: a good token opens a token-free page; every bad one looks the same."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from epitrace.portal.links import revoke_links
from epitrace.portal.models import PortalLink
from epitrace.portal.ratelimit import BAD_TOKENS_PER_IP
from epitrace.portal.session import SESSION_KEY
from epitrace.portal.tests.conftest import World, self_interview_link, token_of

pytestmark = pytest.mark.django_db


def body_of(response: object) -> bytes:
    content: bytes = response.content  # type: ignore[attr-defined]
    return content


def test_a_good_token_opens_a_session_and_leaves_the_address_bar(
    world: World, portal: Client
) -> None:
    url = self_interview_link(world.case)
    response = portal.get(f"/p/{token_of(url)}/")
    assert response.status_code == 302
    assert response["Location"] == "/p/interview/"
    assert token_of(url) not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert portal.session[SESSION_KEY] == PortalLink.objects.get().pk
    page = portal.get("/p/interview/", follow=True)
    assert page.status_code == 200
    assert b'lang="es"' in page.content
    assert "Sus síntomas".encode() in page.content
    assert b"noindex" in page.content
    assert page["X-Robots-Tag"] == "noindex, nofollow"


def test_wrong_expired_revoked_and_purged_tokens_get_one_page(world: World, portal: Client) -> None:
    wrong = portal.get("/p/not-a-token-at-all/")
    expired_url = self_interview_link(world.case, valid_for=dt.timedelta(seconds=-1))
    expired = portal.get(f"/p/{token_of(expired_url)}/")
    revoked_url = self_interview_link(world.case)
    revoke_links(world.case.person)
    revoked = portal.get(f"/p/{token_of(revoked_url)}/")
    purged_url = self_interview_link(world.case)
    world.case.person.purged_at = timezone.now()
    world.case.person.save(update_fields=["purged_at"])
    purged = portal.get(f"/p/{token_of(purged_url)}/")
    answers = [wrong, expired, revoked, purged]
    assert {r.status_code for r in answers} == {404}
    assert len({body_of(r) for r in answers}) == 1
    assert b"This link has expired" in wrong.content
    assert SESSION_KEY not in portal.session


def test_a_portal_page_without_a_session_is_the_expired_page(world: World, portal: Client) -> None:
    response = portal.get("/p/interview/")
    assert response.status_code == 404
    assert body_of(response) == body_of(portal.get("/p/wrong/"))


def test_too_many_bad_tokens_from_one_address_stop_even_a_good_one(
    world: World, portal: Client
) -> None:
    for n in range(BAD_TOKENS_PER_IP.hits):
        assert portal.get(f"/p/guess-{n}/").status_code == 404
    good = self_interview_link(world.case)
    blocked = portal.get(f"/p/{token_of(good)}/")
    assert blocked.status_code == 404
    assert PortalLink.objects.get().uses == 0  # the token was not even looked up
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(f"/p/{token_of(good)}/").status_code == 302


def test_a_staff_login_is_dropped_at_the_door(world: World, client: Client) -> None:
    client.force_login(world.personas.a.tracer)
    url = self_interview_link(world.case)
    client.get(f"/p/{token_of(url)}/")
    assert "_auth_user_id" not in client.session
    assert client.get("/queues/").status_code == 302  # signed out


def test_the_person_can_switch_language(world: World, portal: Client) -> None:
    portal.get(f"/p/{token_of(self_interview_link(world.case))}/", follow=True)
    response = portal.post(
        "/p/language/", {"language": "en", "next": "/p/interview/symptoms/"}, follow=True
    )
    assert b'lang="en"' in response.content
    assert b"Your symptoms" in response.content
    away = portal.post("/p/language/", {"language": "es", "next": "https://evil.example/"})
    assert away["Location"] == "/p/"


def test_a_post_without_the_form_key_changes_nothing(world: World, portal: Client) -> None:
    portal.get(f"/p/{token_of(self_interview_link(world.case))}/", follow=True)
    forged = Client.post(portal, "/p/interview/symptoms/", {"no_symptoms": "on", "action": "next"})
    assert forged.status_code == 404
    assert "portal_interview" not in portal.session
