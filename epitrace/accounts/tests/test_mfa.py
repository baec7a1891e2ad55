"""Two-factor sign-in: an authenticator app, recovery codes, and the demo's codes."""

from __future__ import annotations

import itertools
import re
from io import StringIO
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from epitrace.accounts.mfa import demo_totp_secret, enrol_totp
from epitrace.accounts.testing import enrol_totp_for, force_login_with_mfa, totp_code
from epitrace.seed.accounts import DEMO_PASSWORD, StaffSeeder, short_name
from epitrace.testing.factories import PASSWORD
from epitrace.testing.personas import Personas

_addresses = itertools.count(10)


def new_client() -> Client:
    return Client(REMOTE_ADDR=f"203.0.113.{next(_addresses) % 250}")


def sign_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("account_login"), {"login": username, "password": password})


def confirm_password(client: Client) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content


def test_enrol_an_authenticator_app_then_sign_in_with_its_code(personas: Personas) -> None:
    tracer = personas.a.tracer
    client = new_client()
    sign_in(client, tracer.username)
    confirm_password(client)
    form = client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in form.content.decode()
    assert "data:image/svg+xml;base64," in form.content.decode()  # the QR code

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert 'aria-invalid="true"' in wrong.content.decode()
    done = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    # Enrolment counts as this session's second factor: no second prompt.
    codes = client.get(done["Location"])
    assert codes.status_code == 200
    assert len(RecoveryCodes(Authenticator.objects.get(type="recovery_codes")).get_unused_codes())
    assert client.get(reverse("home")).status_code == 200

    client.post(reverse("account_logout"))
    assert sign_in(client, tracer.username)["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("home"))["Location"].startswith(reverse("account_login"))
    page = client.get(reverse("mfa_authenticate"))
    assert "Authentication code" in page.content.decode()
    assert client.post(reverse("mfa_authenticate"), {"code": "123456"}).status_code == 200
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_totp_code_is_used_once(personas: Personas) -> None:
    tracer = personas.a.tracer
    secret = enrol_totp_for(tracer)
    code = totp_code(secret)
    first, second = new_client(), new_client()
    sign_in(first, tracer.username)
    assert first.post(reverse("mfa_authenticate"), {"code": code})["Location"] == "/"
    sign_in(second, tracer.username)
    assert second.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200


def test_recovery_code_signs_in_once(personas: Personas) -> None:
    tracer = personas.a.tracer
    enrol_totp_for(tracer)
    recovery = RecoveryCodes.activate(tracer).get_unused_codes()[0]

    client = new_client()
    sign_in(client, tracer.username)
    response = client.post(reverse("mfa_authenticate"), {"code": recovery})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("account_logout"))

    sign_in(client, tracer.username)
    again = client.post(reverse("mfa_authenticate"), {"code": recovery})
    assert again.status_code == 200
    assert "Incorrect code" in again.content.decode()


def test_the_last_second_factor_cannot_be_removed(personas: Personas) -> None:
    tracer = personas.a.tracer
    secret = enrol_totp_for(tracer)
    client = new_client()
    force_login_with_mfa(client, tracer)
    client.post(reverse("mfa_reauthenticate"), {"code": totp_code(secret)})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert Authenticator.objects.filter(user=tracer, type="totp").exists()


# --- The demo ---------------------------------------------------------------------


def demo_code(username: str) -> str:
    out = StringIO()
    call_command("demo_code", username, stdout=out)
    return out.getvalue().strip()


def test_demo_user_signs_in_with_the_printed_code(personas: Personas) -> None:
    StaffSeeder().seed(personas.a.jurisdiction, personas.b.jurisdiction)
    username = f"{short_name(personas.a.jurisdiction)}.tracer1"
    # Every seeded user has an authenticator app with the demo secret.
    assert Authenticator.objects.filter(type="totp").count() > 10
    assert not Authenticator.objects.filter(type="totp", user__username="tracer.a").exists()

    client = new_client()
    assert sign_in(client, username, DEMO_PASSWORD)["Location"] == reverse("mfa_authenticate")
    code = demo_code(username)
    assert re.fullmatch(r"\d{6}", code)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200

    # Seeding again adds no second authenticator.
    count = Authenticator.objects.count()
    StaffSeeder().seed(personas.a.jurisdiction, personas.b.jurisdiction)
    assert Authenticator.objects.count() == count


def test_demo_code_refuses_other_users(personas: Personas) -> None:
    with pytest.raises(CommandError, match="not a user with an authenticator app"):
        demo_code("tracer.a")  # no authenticator
    with pytest.raises(CommandError, match="not a user"):
        demo_code("nobody")
    enrol_totp_for(personas.a.tracer)
    with pytest.raises(CommandError, match="their own authenticator app"):
        demo_code("tracer.a")


def test_demo_code_does_not_run_in_production(personas: Personas, settings: Any) -> None:
    enrol_totp(personas.b.tracer, demo_totp_secret("tracer.b"))
    assert len(demo_code("tracer.b")) == 6
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="only works in development"):
        demo_code("tracer.b")


def test_demo_secrets_differ_by_user_and_key(settings: Any) -> None:
    first = demo_totp_secret("admin")
    assert first == demo_totp_secret("admin")
    assert first != demo_totp_secret("epi")
    settings.SECRET_KEY = "another-secret-key-for-another-installation"
    assert demo_totp_secret("admin") != first
