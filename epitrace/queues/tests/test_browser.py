"""A real chromium: the N key presses Next, the case page opens at the work panel, the
outcome is recorded; no script runs inline (the Content-Security-Policy holds)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from epitrace.accounts.testing import enrol_totp_for
from epitrace.core.reference import ensure_reference_data
from epitrace.core.tests.test_browser import sign_in
from epitrace.queues.choices import Outcome, State
from epitrace.queues.models import WorkItem
from epitrace.queues.tests.helpers import case_item
from epitrace.testing.personas import build_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    ensure_reference_data()  # a transactional test starts from what the last one flushed


def test_the_n_key_takes_the_next_item_and_the_outcome_is_recorded(live_server, page: Page) -> None:
    personas = build_personas()
    item = case_item(personas.a.jurisdiction)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    secret = enrol_totp_for(personas.a.tracer)
    page.goto(f"{live_server.url}/queues/")
    sign_in(page, personas.a.tracer.username, secret)
    expect(page.get_by_role("heading", level=1)).to_have_text("My queue")
    page.wait_for_load_state("load")  # the shortcut's script is deferred
    page.keyboard.press("n")
    expect(page).to_have_url(f"{live_server.url}/cases/{item.case_id}/#work-item-{item.pk}")
    item.refresh_from_db()
    assert item.state == State.CLAIMED
    # On the case page if it shows the work panel, else back on the queue page.
    if not page.locator(f"#work-item-{item.pk}").count():
        page.goto(f"{live_server.url}/queues/")
    panel = page.locator(f"#work-item-{item.pk}")
    panel.get_by_label("Outcome").select_option(Outcome.COMPLETED)
    panel.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_text("Done: Reached, done.")).to_be_visible()
    item.refresh_from_db()
    assert item.state == State.DONE
    assert not [e for e in errors if "Content Security Policy" in e]
    assert WorkItem.objects.filter(state=State.DONE).count() == 1
