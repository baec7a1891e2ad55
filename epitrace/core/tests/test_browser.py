"""A real chromium logs in with the login form (password, then the code from an
authenticator app) and opens a case page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from epitrace.accounts.testing import enrol_totp_for, totp_code
from epitrace.core.reference import ensure_reference_data
from epitrace.testing.factories import PASSWORD
from epitrace.testing.personas import build_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    # A transactional test starts from whatever the previous one flushed.
    ensure_reference_data()


SCREENSHOT = Path(os.environ.get("EPITRACE_SCREENSHOT", "var/screenshots/case.png"))


def sign_in(page: Page, username: str, secret: str) -> None:
    """The login form, then the second factor: the test plays the phone."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_label("Authentication code").fill(totp_code(secret))
    page.get_by_role("button", name="Verify").click()


def test_tracer_logs_in_and_opens_a_case(live_server, page: Page):
    personas = build_personas()
    case = personas.a.case
    page.set_viewport_size({"width": 1280, "height": 900})
    secret = enrol_totp_for(personas.a.tracer)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    # Not logged in: the login page, then back to the case.
    sign_in(page, personas.a.tracer.username, secret)
    expect(page).to_have_url(f"{live_server.url}/cases/{case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.number)
    expect(page.get_by_text(personas.a.person.full_name).first).to_be_visible()
    expect(page.get_by_text(personas.a.contact.full_name).first).to_be_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_other_lhd_case_is_not_found_in_the_browser(live_server, page: Page):
    personas = build_personas()
    secret = enrol_totp_for(personas.b.tracer)
    page.goto(f"{live_server.url}/accounts/login/")
    sign_in(page, personas.b.tracer.username, secret)
    expect(page).to_have_url(f"{live_server.url}/")
    response = page.goto(f"{live_server.url}/cases/{personas.a.case.pk}/")
    assert response is not None
    assert response.status == 404
