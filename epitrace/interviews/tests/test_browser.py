"""A real chromium: a tracer takes a case from the queue, calls, interviews, elicits two
contacts, completes; and what is typed while offline is saved when the connection returns."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Route, expect

from epitrace.accounts.testing import enrol_totp_for
from epitrace.cases.choices import InvestigationStatus
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.core.reference import ensure_reference_data
from epitrace.core.tests.test_browser import sign_in
from epitrace.diseases.models import DiseaseProfile
from epitrace.interviews.choices import CallOutcome
from epitrace.interviews.models import CallAttempt, Interview
from epitrace.queues import services as queue
from epitrace.queues.choices import Kind, Outcome, State
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas, build_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    # A transactional test starts from whatever the previous one flushed.
    ensure_reference_data()


def december_case(personas: Personas) -> Case:
    """Onset 2020-12-07 under CDC 2020: isolation ends 12-17, quarantine 14 days."""
    person = f.PersonFactory.create(
        jurisdiction=personas.a.jurisdiction, given_name="Rosa", family_name="Delgado"
    )
    onset = dt.date(2020, 12, 7)
    return f.CaseFactory.create(
        person=person,
        profile=DiseaseProfile.objects.get(key="covid-19-cdc-2020"),
        report_date=dt.date(2020, 12, 10),
        specimen_date=dt.date(2020, 12, 8),
        onset_date=onset,
        isolation_start=onset,
        isolation_end=dt.date(2020, 12, 17),
    )


def watch_csp(page: Page) -> list[str]:
    found: list[str] = []

    def check(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            found.append(message.text)

    page.on("console", check)
    return found


def interview_ready(page: Page) -> None:
    """The interview arrives right after the case page (htmx); its script starts on it."""
    expect(page.locator("[data-interview][data-started]")).to_have_count(1)


def add_contact(page: Page, given: str, family: str, **fields: str) -> None:
    entry = page.locator("#contact-entry")
    # The last swap settled (htmx gives focus back after it), then out of any field:
    # a "c" typed into a field is a letter, not the key of a new contact.
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.locator("input:focus, select:focus, textarea:focus")).to_have_count(0)
    page.keyboard.press("c")  # the key of a new contact
    expect(entry.get_by_label("Given name")).to_be_focused()
    page.keyboard.type(given)
    entry.get_by_label("Family name").fill(family)
    entry.get_by_label("Phone").fill(fields["phone"])
    entry.get_by_label("Relation").select_option(fields["relation"])
    entry.get_by_label("Last exposure").fill(fields["last"])
    entry.get_by_label("Setting").select_option(fields["setting"])
    if fields.get("ongoing"):
        entry.get_by_label("Lives with the case (ongoing)").check()
    entry.get_by_label("Family name").press("Enter")
    expect(page.locator("#contact-entry")).to_contain_text(f"{given} {family} added")


def test_a_tracer_interviews_a_case_and_its_contacts_reach_the_queue(
    live_server, page: Page
) -> None:
    personas = build_personas()
    case = december_case(personas)
    tracer = personas.a.tracer
    item = queue.open_item(Kind.INVESTIGATION, case=case)
    violations = watch_csp(page)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/queues/")
    sign_in(page, tracer.username, enrol_totp_for(tracer))

    # Next: the case page, at the investigation item the tracer now holds.
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/#work-item-{item.pk}$"))
    interview_ready(page)
    page.keyboard.press("5")  # Reached
    expect(page.locator("#call-attempts")).to_contain_text("Call recorded: Reached.")
    expect(page.locator("#case-badges")).to_contain_text("In progress")

    sheet = page.locator("#interview-panel")
    sheet.get_by_label("Name as confirmed").fill("Rosa Delgado")
    sheet.get_by_label("Date of birth as confirmed").fill("1979-05-02")
    sheet.get_by_label("How the identity was checked").select_option("name_dob")
    sheet.get_by_label("Cough").check()
    sheet.get_by_role("group", name="Works in health care").get_by_label("No").check()
    status = page.locator("[data-save-status]")
    expect(status).to_have_text("All changes saved")

    add_contact(
        page,
        "Ines",
        "Delgado",
        phone="(860) 555-0147",
        relation="household",
        last="2020-12-09",
        setting="household",
        ongoing="yes",
    )
    add_contact(
        page,
        "Luis",
        "Ortega",
        phone="860-555-0148",
        relation="work",
        last="2020-12-06",
        setting="workplace",
    )
    table = page.locator("#contacts-table")
    expect(table.get_by_role("row", name=re.compile("Ines Delgado"))).to_contain_text("2020-12-31")
    expect(table.get_by_role("row", name=re.compile("Luis Ortega"))).to_contain_text("2020-12-20")

    page.get_by_role("button", name="Complete interview").click()
    expect(page.get_by_text("Interview completed.", exact=True)).to_be_visible()
    expect(page.locator("#case-badges")).to_contain_text("Interview completed")

    # The contacts wait in the contact-notification queue, with the profile's dates.
    # Each is an item of the tracer's queue (the "Coming next" list shows only the top
    # five of the whole queue, so each item's own page is opened instead).
    notifications = WorkItem.objects.filter(kind=Kind.NOTIFICATION, exposure__case=case)
    shown = set()
    for pk in notifications.values_list("pk", flat=True):
        page.goto(f"{live_server.url}/queues/items/{pk}/")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text("Contact notification")
        shown.add(heading.inner_text().split(":", 1)[1].strip())
    assert len(shown) == 2
    assert any("Delgado" in name for name in shown)
    assert any("Ortega" in name for name in shown)
    ends = {
        e.contact.given_name: e.quarantine_end
        for e in Exposure.objects.filter(case=case).select_related("contact")
    }
    # 14 days (CDC 2020): the household from the end of isolation, the co-worker from 12-06.
    assert ends == {"Ines": dt.date(2020, 12, 31), "Luis": dt.date(2020, 12, 20)}
    notified = WorkItem.objects.filter(kind=Kind.NOTIFICATION, exposure__case=case)
    assert notified.filter(state=State.OPEN).count() == 2
    item.refresh_from_db()
    assert (item.state, item.outcome) == (State.DONE, Outcome.COMPLETED)
    case.refresh_from_db()
    assert case.investigation_status == InvestigationStatus.COMPLETED
    interview = Interview.objects.get(case=case)
    assert interview.answers == {"healthcare_worker": False}
    assert interview.data["symptoms"] == ["cough"]
    assert list(CallAttempt.objects.values_list("outcome", flat=True)) == [CallOutcome.COMPLETED]
    assert not violations, violations


def test_what_is_typed_offline_is_saved_when_the_connection_returns(
    live_server, page: Page, context: BrowserContext
) -> None:
    personas = build_personas()
    case = december_case(personas)
    tracer = personas.a.tracer
    url = f"{live_server.url}/cases/{case.pk}/"
    page.goto(url)
    sign_in(page, tracer.username, enrol_totp_for(tracer))
    expect(page).to_have_url(url)
    interview_ready(page)
    notes = page.locator("#interview-panel").get_by_label("Notes", exact=True)
    status = page.locator("[data-save-status]")

    context.set_offline(True)
    notes.fill("Works nights at the bakery; call after 2 pm")
    expect(status).to_contain_text("Offline")
    stored = page.evaluate("JSON.stringify(window.localStorage)")
    assert "call after 2 pm" in stored
    assert "Delgado" not in stored.split(":")[0]  # keyed by ids, not names
    context.set_offline(False)
    expect(status).to_have_text("All changes saved")
    assert Interview.objects.get(case=case).data["notes"].endswith("call after 2 pm")
    assert page.evaluate("window.localStorage.length") == 0

    # Typed offline, tab closed before the connection came back: sent on the next visit.
    context.set_offline(True)
    page.locator("#interview-panel").get_by_label("Isolation address (when not at home)").fill(
        "12 Harbor Street, with her sister"
    )
    expect(status).to_contain_text("Offline")
    page.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(url)
    interview_ready(again)
    address = again.locator("#interview-panel").get_by_label("Isolation address (when not at home)")
    expect(address).to_have_value("12 Harbor Street, with her sister")
    expect(again.locator("[data-save-status]")).to_have_text("All changes saved")
    assert Interview.objects.get(case=case).data["isolation_address"].startswith("12 Harbor")


def test_a_household_member_is_added_in_one_click_and_completion_lists_whats_missing(
    live_server, page: Page
) -> None:
    personas = build_personas()
    case = december_case(personas)
    tracer = personas.a.tracer
    url = f"{live_server.url}/cases/{case.pk}/"
    page.goto(url)
    sign_in(page, tracer.username, enrol_totp_for(tracer))
    expect(page).to_have_url(url)
    interview_ready(page)
    page.get_by_role("button", name="Add household member").click()
    row = page.locator('[data-autosave-rows="household"] tr').first
    expect(row.get_by_label("Given name")).to_be_focused()
    page.keyboard.type("Tim")
    row.get_by_label("Family name").fill("Delgado")
    row.get_by_label("Birth date").fill("2015-03-01")
    # The other members and the case are offered as the minor's guardian.
    row.get_by_label("Parent or guardian (minors)").select_option(value="case")
    row.get_by_role("button", name="Add as contact").click()
    expect(row).to_contain_text("Contact")
    contact = page.locator("#contacts-table").get_by_role("row", name=re.compile("Tim Delgado"))
    expect(contact).to_contain_text("(ongoing)")
    expect(contact).to_contain_text("2020-12-31")  # 14 days after isolation ends (12-17)
    tim = Exposure.objects.select_related("contact__guardian").get(case=case).contact
    assert tim.guardian is not None
    assert tim.guardian.pk == case.person_id

    page.get_by_role("button", name="Complete interview").click()
    problems = page.locator("[data-problems]")
    expect(problems).to_be_focused()
    expect(problems.get_by_role("link", name="Name as confirmed")).to_be_visible()
    assert Interview.objects.get(case=case).status == "draft"


def test_the_interview_arrives_after_the_page_and_a_failed_load_can_be_retried(
    live_server, page: Page
) -> None:
    personas = build_personas()
    case = december_case(personas)
    tracer = personas.a.tracer
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    sign_in(page, tracer.username, enrol_totp_for(tracer))
    interview_ready(page)
    page.goto(f"{live_server.url}/queues/")
    page.goto(f"{live_server.url}/cases/{case.pk}/#contacts")
    interview_ready(page)
    # The link to the contacts is followed once they have arrived.
    contacts = page.locator("#contacts")
    expect(contacts).to_be_in_viewport()

    # The server fails once: the page says so and offers to try again.
    page.route(re.compile(r"/interviews/cases/\d+/panels/$"), failing_once())
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.get_by_text("The interview could not be loaded.")).to_be_visible()
    page.get_by_role("button", name="Try again").click()
    interview_ready(page)
    expect(page.locator("#interview-panel").get_by_label("Name as confirmed")).to_be_visible()


def test_a_contacts_page_shows_the_work_item_at_once_and_its_records_after(
    live_server, page: Page
) -> None:
    personas = build_personas()
    side = personas.a
    item = queue.open_item(Kind.NOTIFICATION, exposure=side.exposure)
    violations = watch_csp(page)
    page.goto(f"{live_server.url}/queues/")
    sign_in(page, side.tracer.username, enrol_totp_for(side.tracer))

    # The records fail to arrive once: the page says so and offers to try again.
    page.route(re.compile(r"/people/\d+/panels/$"), failing_once())
    page.get_by_role("button", name="Next").click()
    expect(page).to_have_url(re.compile(rf"/people/{side.contact.pk}/#work-item-{item.pk}$"))
    held = page.locator(f"#work-item-{item.pk}")
    expect(held).to_contain_text("by you")
    expect(held.get_by_role("button", name="Record and take next")).to_be_visible()
    expect(page.get_by_text("The records could not be loaded.")).to_be_visible()
    page.get_by_role("button", name="Try again").click()
    records = page.locator("#person-panels")
    expect(records.get_by_role("heading", name="Exposures as a contact")).to_be_visible()
    expect(records).to_contain_text(side.case.number)
    expect(records.get_by_role("heading", name="Messages")).to_be_visible()
    assert not violations, violations


def failing_once() -> Callable[[Route], None]:
    """A route handler that answers 500 the first time, then lets requests through."""
    failures = {"left": 1}

    def handle(route: Route) -> None:
        if failures["left"]:
            failures["left"] -= 1
            route.fulfill(status=500, body="")
        else:
            route.continue_()

    return handle
