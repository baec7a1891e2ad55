"""In a real chromium: the state epidemiologist previews a change, then saves it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from epitrace.accounts.testing import enrol_totp_for
from epitrace.core.reference import ensure_reference_data
from epitrace.core.tests.test_browser import sign_in
from epitrace.diseases.models import DiseaseProfile
from epitrace.testing.personas import build_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("EPITRACE_SCREENSHOT_DIR", "var/screenshots"))


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    ensure_reference_data()


def test_preview_a_longer_quarantine_then_save_it(live_server: Any, page: Page) -> None:
    personas = build_personas()
    sara = DiseaseProfile.objects.get(key="covid-19-saraalert-2022")
    page.set_viewport_size({"width": 1400, "height": 1000})
    secret = enrol_totp_for(personas.state_epi)
    page.goto(f"{live_server.url}/profiles/")
    sign_in(page, personas.state_epi.username, secret)
    page.get_by_role("link", name=sara.title).click()
    page.get_by_role("link", name="What if the parameters changed?").click()

    page.get_by_label("Quarantine, days after last exposure").fill("14")
    page.get_by_role("button", name="Preview the change").click()
    contacts = page.locator("section.impact").first
    expect(contacts).to_contain_text("2 end later")
    expect(page.get_by_text(personas.a.contact.full_name)).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "what-if.png"), full_page=True)

    page.get_by_label("Key").fill("covid-19-quarantine-14")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(sara.title)
    expect(page.get_by_text("New version saved.")).to_be_visible()
    created = DiseaseProfile.objects.get(key="covid-19-quarantine-14")
    assert created.parameters["quarantine_days"] == 14
    page.screenshot(path=str(SCREENSHOTS / "profile.png"), full_page=True)
