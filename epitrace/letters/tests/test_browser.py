"""A real chromium: the editor's live preview, and a letter opened from its URL."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from epitrace.accounts.testing import enrol_totp_for
from epitrace.core.reference import ensure_reference_data
from epitrace.core.tests.test_browser import sign_in
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.letters.defaults import install_defaults
from epitrace.letters.models import LetterTemplate
from epitrace.testing import factories as f
from epitrace.testing.personas import build_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    # A transactional test starts from whatever the previous one flushed.
    ensure_reference_data()
    install_defaults(apps)


def test_the_editor_previews_the_wording_as_it_is_typed(live_server, page: Page) -> None:
    admin = f.UserFactory.create(username="state.admin")
    f.MembershipFactory.create(
        user=admin, jurisdiction=Jurisdiction.objects.root(), role="state_admin"
    )
    template = LetterTemplate.objects.get(kind="isolation", language="es")
    violations: list[str] = []
    page.on("console", lambda m: _csp_violation(m, violations))
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/letters/templates/{template.pk}/")
    sign_in(page, admin.username, enrol_totp_for(admin))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Isolation letter, Spanish")
    frame = page.frame_locator("iframe[name=letter-preview]")
    with page.expect_response(re.compile(r"/preview\.pdf$")) as first:
        page.reload()
    assert first.value.status == 200
    assert first.value.headers["content-type"] == "application/pdf"

    body = page.get_by_label("Letter text")
    body.press("End")
    with page.expect_response(_posted_preview) as typed:
        body.type(" Llame al {telefono}.")  # the live preview fires after a pause
    assert typed.value.status == 400
    expect(frame.get_by_text("Unknown placeholder {telefono}")).to_be_visible()

    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".field__error")).to_contain_text("Unknown placeholder {telefono}")
    assert not violations, violations


def test_a_tracer_opens_a_letter_from_its_address(live_server, page: Page) -> None:
    personas = build_personas()
    personas.a.jurisdiction.phone = "+18605550110"
    personas.a.jurisdiction.save(update_fields=["phone"])
    page.goto(f"{live_server.url}/accounts/login/")
    sign_in(page, personas.a.tracer.username, enrol_totp_for(personas.a.tracer))
    url = f"{live_server.url}/letters/case/{personas.a.case.pk}/isolation.pdf"
    response = page.request.get(url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    other = page.request.get(f"{live_server.url}/letters/case/{personas.b.case.pk}/isolation.pdf")
    assert other.status == 404


def _posted_preview(response: Response) -> bool:
    return response.url.endswith("/preview.pdf") and response.request.method == "POST"


def _csp_violation(message: ConsoleMessage, found: list[str]) -> None:
    if "Content Security Policy" in message.text or "Refused to" in message.text:
        found.append(message.text)
