"""Staff sign-in: mandatory second factor, lockout, idle timeout, sign-out
everywhere, and the security headers every page carries."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import runpy
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import UpdateError
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from epitrace.accounts.models import StaffSession, User
from epitrace.accounts.sessions import REFRESH_AFTER, SessionStore
from epitrace.accounts.testing import enrol_totp_for, force_login_with_mfa, totp_code
from epitrace.testing.factories import PASSWORD
from epitrace.testing.personas import Personas

SETTINGS_FILE = Path(settings.BASE_DIR) / "config" / "settings.py"
_addresses = itertools.count(10)


def new_client(**kwargs: Any) -> Client:
    """A browser of its own, from its own address (rate limits are per address)."""
    return Client(REMOTE_ADDR=f"198.51.100.{next(_addresses) % 250}", **kwargs)


def sign_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("account_login"), {"login": username, "password": password})


def confirm_password(client: Client) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content


# --- Mandatory second factor ----------------------------------------------------


def test_sign_in_without_mfa_reaches_only_enrolment(personas: Personas) -> None:
    client = new_client()
    assert sign_in(client, personas.a.tracer.username)["Location"] == reverse("home")
    enrol = reverse("mfa_index")
    for url in [
        reverse("home"),
        reverse("case_list"),
        reverse("case_detail", args=[personas.a.case.pk]),
        reverse("person_search"),
        reverse("account_change_password"),
        reverse("mfa_reauthenticate"),
        "/no/such/page/",
    ]:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, enrol), url
    assert client.post(reverse("case_list")).status_code == 302

    api = client.get("/api/v1/cases/")
    assert api.status_code == 403
    assert api.json()["mfa_url"] == enrol

    htmx = client.get(reverse("case_list"), HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == enrol

    page = client.get(enrol)
    assert page.status_code == 200
    assert "Set up a second factor to continue." in page.content.decode()
    # Adding a factor asks for the password again first (allauth's rule).
    confirm = client.get(reverse("mfa_activate_totp"))
    assert confirm["Location"].startswith(reverse("account_reauthenticate"))
    assert client.get(confirm["Location"]).status_code == 200
    confirm_password(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert client.get(reverse("home"))["Location"].startswith(reverse("account_login"))


def test_user_with_mfa_signed_in_another_way_is_asked_for_it(personas: Personas) -> None:
    tracer = personas.a.tracer
    secret = enrol_totp_for(tracer)
    client = new_client()
    client.force_login(tracer)  # a session that never saw the second factor

    response = client.get(reverse("case_list"))
    verify = reverse("mfa_reauthenticate")
    assert response["Location"] == f"{verify}?next=%2Fcases%2F"
    assert client.get(reverse("mfa_index"))["Location"].startswith(verify)
    assert client.get("/api/v1/cases/").status_code == 403

    response = client.post(verify, {"code": totp_code(secret), "next": reverse("case_list")})
    assert response["Location"] == reverse("case_list")
    assert client.get(reverse("case_list")).status_code == 200


def test_system_identity_needs_no_second_factor(db: None) -> None:
    from epitrace.accounts.scope import system_user

    client = new_client()
    client.force_login(system_user())
    assert client.get(reverse("home")).status_code == 200


# --- Lockout ----------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account(personas: Personas) -> None:
    tracer = personas.a.tracer
    client = new_client()
    for _ in range(4):
        response = sign_in(client, tracer.username, "wrong-password")
        assert response.status_code == 200
        assert 'role="alert"' in response.content.decode()

    fifth = sign_in(client, tracer.username, "wrong-password")
    assert fifth.status_code == 429
    assert "Account locked" in fifth.content.decode()

    # The sixth, with the right password and from another machine, is refused too.
    elsewhere = new_client()
    sixth = sign_in(elsewhere, tracer.username)
    body = sixth.content.decode()
    assert sixth.status_code == 429
    assert "Account locked" in body
    assert "30 minutes" in body
    assert settings.EPITRACE_SUPPORT_CONTACT in body
    assert "Traceback" not in body
    assert "_auth_user_id" not in elsewhere.session
    assert sign_in(new_client(), tracer.username.upper()).status_code == 429

    call_command("axes_reset_username", tracer.username, verbosity=0)
    assert sign_in(new_client(), tracer.username)["Location"] == reverse("home")


def test_lock_ends_after_the_cool_off(personas: Personas) -> None:
    tracer = personas.a.tracer
    for _ in range(5):
        sign_in(new_client(), tracer.username, "wrong-password")
    assert sign_in(new_client(), tracer.username).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert sign_in(new_client(), tracer.username)["Location"] == reverse("home")


def test_a_locked_account_cannot_authenticate_without_a_request(personas: Personas) -> None:
    tracer = personas.a.tracer
    for _ in range(5):
        sign_in(new_client(), tracer.username, "wrong-password")
    assert not Client().login(username=tracer.username, password=PASSWORD)


def test_passwords_are_hashed_with_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    # (The test suite puts a fast hasher first; the settings themselves do not.)
    conf = _settings_with(monkeypatch)
    assert conf["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert make_password("a long enough passphrase", hasher="argon2").startswith("argon2$")


@pytest.mark.parametrize(
    "password", ["short-pw", "123456789012345", "password1234", "maria.tracer.a"]
)
def test_weak_passwords_are_refused(password: str) -> None:
    user = User(username="maria.tracer.a", display_name="Maria")
    with pytest.raises(ValidationError):
        validate_password(password, user)
    validate_password("orange tram under the bridge", user)


# --- Sessions ---------------------------------------------------------------------


def _session(client: Client) -> StaffSession:
    return StaffSession.objects.get(session_key=client.session.session_key)


def test_idle_timeout_ends_a_quiet_session(personas: Personas) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_ENGINE == "epitrace.accounts.sessions"
    assert "epitrace.accounts.sessions.SessionMiddleware" in settings.MIDDLEWARE
    client = new_client()
    force_login_with_mfa(client, personas.a.tracer)

    # Each request pushes the end of the session 30 minutes ahead.
    StaffSession.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    assert client.get(reverse("home")).status_code == 200
    remaining = _session(client).expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < remaining <= dt.timedelta(minutes=30)

    # 30 quiet minutes later the session is gone.
    StaffSession.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(reverse("home"))["Location"].startswith(reverse("account_login"))


def test_a_session_end_is_written_at_most_once_a_minute(personas: Personas) -> None:
    client = new_client()
    force_login_with_mfa(client, personas.a.tracer)
    client.get(reverse("home"))
    stored = _session(client).expire_date

    # A request soon after changes nothing in the database, nor the cookie.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert _session(client).expire_date == stored

    # A minute and more behind: the end moves again, and only the end.
    StaffSession.objects.update(expire_date=stored - REFRESH_AFTER)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert "session_data" not in updates[0]
    assert settings.SESSION_COOKIE_NAME in response.cookies
    assert _session(client).expire_date > stored


def test_an_end_refresh_keeps_what_another_request_stored(personas: Personas) -> None:
    client = new_client()
    force_login_with_mfa(client, personas.a.tracer)
    client.get(reverse("home"))
    session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session.get("_auth_user_id")  # loaded, as by the request's middleware
    # Another tab of the same user stores something while this request runs.
    other = SessionStore(session.session_key)
    other["note"] = "kept"
    other.save()

    session.stored_expiry = timezone.now()  # as if loaded long ago
    assert session.refresh_due()
    session.save_expiry_only()
    session.save()
    assert SessionStore(session.session_key).load()["note"] == "kept"


def test_an_end_refresh_does_not_bring_back_an_ended_session(personas: Personas) -> None:
    client = new_client()
    force_login_with_mfa(client, personas.a.tracer)
    session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session.get("_auth_user_id")
    StaffSession.objects.filter(session_key=session.session_key).delete()  # signed out elsewhere
    session.save_expiry_only()
    with pytest.raises(UpdateError):
        session.save()
    assert not StaffSession.objects.filter(session_key=session.session_key).exists()


def _settings_with(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def test_idle_timeout_and_cool_off_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = _settings_with(monkeypatch, SESSION_IDLE_TIMEOUT_MINUTES="10", AXES_COOLOFF_MINUTES="5")
    assert conf["SESSION_COOKIE_AGE"] == 600
    assert conf["AXES_COOLOFF_TIME"] == dt.timedelta(minutes=5)
    assert _settings_with(monkeypatch, AXES_COOLOFF_MINUTES="0")["AXES_COOLOFF_TIME"] is None


def test_production_cookies_are_secure(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _settings_with(
        monkeypatch,
        EPITRACE_ENV="production",
        DEBUG="false",
        SECRET_KEY="s" * 64,
        ALLOWED_HOSTS="epitrace.health.example.org",
        EPITRACE_AUDIT_KEY="k" * 48,
        EPITRACE_AUDIT_SIGNING_KEY="g" * 48,
        EPITRACE_SMS_TRANSPORT="console",
        EPITRACE_EN_TRANSPORT="console",
    )
    assert conf["SESSION_COOKIE_SECURE"]
    assert conf["CSRF_COOKIE_SECURE"]
    assert conf["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert conf["SECURE_HSTS_SECONDS"] >= 31536000
    assert conf["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["upgrade-insecure-requests"]


def test_sign_out_everywhere_ends_the_other_sessions(personas: Personas) -> None:
    laptop, phone, colleague = new_client(), new_client(), new_client()
    force_login_with_mfa(laptop, personas.a.tracer)
    force_login_with_mfa(phone, personas.a.tracer)
    force_login_with_mfa(colleague, personas.b.tracer)
    assert phone.get(reverse("home")).status_code == 200

    url = reverse("account_logout_everywhere")
    assert laptop.get(url).status_code == 405
    response = laptop.post(url)
    assert response["Location"] == reverse("account_login")
    assert laptop.get(reverse("home"))["Location"].startswith(reverse("account_login"))
    assert phone.get(reverse("home"))["Location"].startswith(reverse("account_login"))
    assert colleague.get(reverse("home")).status_code == 200
    personas.a.tracer.refresh_from_db()
    assert personas.a.tracer.session_version == 1


def test_sign_out_everywhere_needs_the_csrf_token(personas: Personas) -> None:
    client = new_client(enforce_csrf_checks=True)
    force_login_with_mfa(client, personas.a.tracer)
    assert client.post(reverse("account_logout_everywhere")).status_code == 403
    assert client.get(reverse("home")).status_code == 200


def test_user_menu_offers_mfa_and_sign_out_everywhere(personas: Personas) -> None:
    client = new_client()
    force_login_with_mfa(client, personas.a.tracer)
    body = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("account_logout_everywhere")}"' in body
    assert f'href="{reverse("mfa_index")}"' in body


# --- Headers and pages without inline code --------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=", re.I)


def assert_no_inline_code(body: str) -> None:
    assert not INLINE_SCRIPT.search(body), INLINE_SCRIPT.search(body)
    assert not INLINE_STYLE.search(body), INLINE_STYLE.search(body)


def test_security_headers_on_pages(personas: Personas) -> None:
    client = new_client()
    anonymous = client.get(reverse("account_login"))
    force_login_with_mfa(client, personas.a.tracer)
    page = client.get(reverse("case_detail", args=[personas.a.case.pk]))
    for response in (anonymous, page):
        csp = response["Content-Security-Policy"]
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]:
            assert directive in csp
        assert "unsafe" not in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["Cross-Origin-Resource-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert "publickey-credentials-get=(self)" in response["Permissions-Policy"]
        assert_no_inline_code(response.content.decode())
    assert "no-store" in page["Cache-Control"]
    assert "csrftoken" in client.cookies or settings.CSRF_COOKIE_NAME in client.cookies


def test_sign_in_and_enrolment_pages_have_no_inline_code(personas: Personas) -> None:
    client = new_client()
    sign_in(client, personas.a.tracer.username)
    assert_no_inline_code(client.get(reverse("account_reauthenticate")).content.decode())
    confirm_password(client)
    for name in ["mfa_index", "mfa_activate_totp", "mfa_add_webauthn"]:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert_no_inline_code(response.content.decode())
    assert Authenticator.objects.count() == 0
