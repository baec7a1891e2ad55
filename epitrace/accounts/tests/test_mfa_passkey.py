"""A passkey, registered and used in a real chromium with its virtual authenticator."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import CDPSession, Page, expect

from epitrace.core.reference import ensure_reference_data
from epitrace.testing.factories import PASSWORD
from epitrace.testing.personas import build_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    # A transactional test starts from whatever the previous one flushed.
    ensure_reference_data()


def virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    """Chromium's built-in authenticator: a platform passkey with a verified user."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options: dict[str, Any] = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    result = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, result["authenticatorId"]


def sign_in_with_password(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Sign out", exact=True).click()


def test_passkey_is_registered_then_signs_in(live_server: Any, page: Page) -> None:
    url = live_server.url
    assert url.startswith("http://localhost:")  # WebAuthn needs a domain, not an IP
    tracer = build_personas().a.tracer
    cdp, authenticator_id = virtual_authenticator(page)

    # Password only: the account has no second factor, so enrolment it is.
    sign_in_with_password(page, url, tracer.username)
    expect(page).to_have_url(f"{url}/accounts/2fa/")
    expect(page.get_by_text("Set up a second factor to continue.")).to_be_visible()
    page.get_by_role("link", name="Add a passkey or security key").click()
    page.get_by_label("Password").fill(PASSWORD)  # allauth confirms the password first
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Work laptop")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    page.get_by_role("link", name="Continue to Epitrace").click()
    expect(page).to_have_url(f"{url}/")
    key = Authenticator.objects.get(user=tracer, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Work laptop"
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert [c["isResidentCredential"] for c in stored["credentials"]] == [True]

    # Signed out, the passkey alone signs in (possession plus the device's check).
    sign_out(page)
    expect(page).to_have_url(f"{url}/accounts/login/?next=/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(f"{url}/")
    expect(page.locator(".user-menu")).to_contain_text(str(tracer))

    # With the password, the passkey is the second factor.
    sign_out(page)
    sign_in_with_password(page, url, tracer.username)
    expect(page).to_have_url(f"{url}/accounts/2fa/authenticate/")
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page).to_have_url(f"{url}/")
    key.refresh_from_db()
    assert key.last_used_at is not None
