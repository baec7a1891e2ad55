"""Sign-in, sign-out and the other account pages use Epitrace's layouts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from epitrace.testing.factories import PASSWORD
from epitrace.web.tests import make

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_login_page_has_username_and_password_only(client: Client) -> None:
    response = client.get(reverse("account_login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Epitrace" in body
    assert 'name="login"' in body
    assert 'autocomplete="username"' in body
    assert 'name="password"' in body
    assert 'autocomplete="current-password"' in body
    assert "epitrace/app.css" in body
    assert reverse("account_signup") not in body
    assert 'href="#main"' in body  # skip link


def test_sign_in_with_username_and_password(client: Client) -> None:
    make.user(username="tracer.x")
    response = client.post(reverse("account_login"), {"login": "tracer.x", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_is_reported_on_the_form(client: Client) -> None:
    make.user(username="tracer.x")
    response = client.post(reverse("account_login"), {"login": "tracer.x", "password": "nope"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in body


def test_sign_up_is_closed_and_rendered_in_our_layout(client: Client) -> None:
    response = client.get(reverse("account_signup"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "epitrace/app.css" in body
    assert 'name="password1"' not in body


def test_logout_confirmation_uses_the_staff_layout(client: Client) -> None:
    client.force_login(make.user())
    response = client.get(reverse("account_logout"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="topbar"' in body
    assert f'action="{reverse("account_logout")}"' in body


def test_logout_is_a_post(client: Client) -> None:
    client.force_login(make.user())
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_page_renders_in_our_layout(client: Client) -> None:
    response = client.get(reverse("account_reset_password"))
    assert response.status_code == 200
    assert "epitrace/app.css" in response.content.decode()
