"""A real chromium at phone width: the e-mailed link, the self-interview in Spanish, and the
tracer's case page showing what the case sent."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from epitrace.accounts.testing import enrol_totp_for
from epitrace.core.reference import ensure_reference_data
from epitrace.core.tests.test_browser import sign_in
from epitrace.outreach.choices import Channel, Purpose
from epitrace.outreach.dispatcher.worker import Dispatcher
from epitrace.outreach.services import enqueue
from epitrace.outreach.tests.conftest import Mailbox
from epitrace.portal.choices import LinkPurpose
from epitrace.portal.links import issue_link
from epitrace.portal.tests.conftest import december_case
from epitrace.testing.personas import build_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE: ViewportSize = {"width": 360, "height": 740}


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    ensure_reference_data()


def body_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways ({width}px)"


def add_contact(page: Page, given: str, family: str, phone: str, relation: str, day: str) -> None:
    page.get_by_label("Nombre", exact=True).fill(given)
    page.get_by_label("Apellido(s)").fill(family)
    page.get_by_label("Número de teléfono").fill(phone)
    page.get_by_label("¿Qué relación tiene con usted?").select_option(label=relation)
    page.get_by_label("¿Dónde estuvieron juntos?").select_option(label="Trabajo")
    page.get_by_label("Último día que estuvieron juntos").fill(day)
    page.get_by_role("button", name="Añadir esta persona").click()
    expect(page.get_by_role("list")).to_contain_text(f"{given} {family}")


def test_a_spanish_speaking_case_answers_by_phone_and_the_tracer_sees_it(
    live_server: Any,
    page: Page,
    smtp: Mailbox,
    settings: Any,
) -> None:
    settings.EPITRACE_PUBLIC_URL = live_server.url
    settings.DEFAULT_FROM_EMAIL = "Salud <outreach@health.example.org>"
    personas = build_personas()
    case = december_case(personas)
    link = issue_link(person=case.person, purpose=LinkPurpose.SELF_INTERVIEW, case=case)
    enqueue(
        Channel.EMAIL,
        Purpose.SELF_INTERVIEW,
        person=case.person,
        address="rosa.delgado@example.org",
        context={"link": link},
    )
    assert Dispatcher(threads=1, batch=10).run(once=True).as_dict()["sent"] == 1
    (envelope,) = smtp.envelopes
    text = body_text(message_from_bytes(envelope.original_content))
    assert "formulario" in text
    found = re.search(r"https?://\S+/p/\S+/", text)
    assert found is not None

    page.set_viewport_size(PHONE)
    page.goto(found.group(0))
    expect(page).to_have_url(re.compile(r"/p/interview/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sus síntomas")
    fits(page)
    page.get_by_label("Tos", exact=True).check()
    page.get_by_label("Fiebre (100.4 °F / 38 °C o más)").check()
    page.get_by_label("¿Cuándo empezó su primer síntoma?").fill("2020-12-07")
    page.get_by_role("button", name="Continuar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Personas que viven con usted")
    fits(page)
    page.get_by_label("Nombre", exact=True).fill("Ines")
    page.get_by_label("Apellido(s)").fill("Delgado")
    page.get_by_label("Fecha de nacimiento").fill("2012-03-04")
    page.get_by_role("button", name="Añadir esta persona").click()
    expect(page.get_by_role("list")).to_contain_text("Ines Delgado")
    page.get_by_role("button", name="Continuar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Lugares a los que fue")
    page.get_by_label("Tipo de lugar").select_option(label="Trabajo")
    page.get_by_label("Nombre del lugar").fill("Panadería Hartwell")
    page.get_by_label("Último día que estuvo allí").fill("2020-12-06")
    page.get_by_role("button", name="Continuar").click()  # what is typed is added

    expect(page.get_by_role("heading", level=1)).to_have_text("Personas con las que estuvo cerca")
    # A mistake first: the summary links to the field, and the keyboard gets there.
    page.get_by_label("Nombre", exact=True).fill("Luis")
    page.get_by_role("button", name="Añadir esta persona").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Por favor, revise estas respuestas")
    summary.get_by_role("link", name=re.compile("Apellido")).click()
    expect(page.get_by_label("Apellido(s)")).to_be_focused()
    fits(page)
    add_contact(page, "Luis", "Ortega", "(860) 555-0148", "Compañero/a de trabajo", "2020-12-06")
    add_contact(page, "Ana", "Ruiz", "860-555-0149", "Amigo/a", "2020-12-05")
    page.get_by_role("button", name="Continuar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ayuda mientras se queda en casa")
    page.get_by_label("Alimentos o compras del supermercado").check()
    page.get_by_label(re.compile("^Sí, acepto que el departamento de salud")).check()
    page.get_by_role("button", name="Continuar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Revise sus respuestas")
    fits(page)
    expect(page.locator("dl")).to_contain_text("Luis Ortega")
    page.get_by_role("button", name="Enviar mis respuestas").click()
    expect(page.get_by_role("status")).to_have_text("Hemos recibido sus respuestas.")
    fits(page)

    # The tracer, in a browser of their own, finds all of it on the case page.
    tracer = personas.a.tracer
    staff = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[union-attr]
    staff.goto(f"{live_server.url}/cases/{case.pk}/")
    sign_in(staff, tracer.username, enrol_totp_for(tracer))
    expect(staff).to_have_url(re.compile(rf"/cases/{case.pk}/"))
    sheet = staff.locator("#interview-panel")
    expect(sheet.get_by_label("Cough")).to_be_checked()
    expect(sheet.get_by_label("Symptom onset date")).to_have_value("2020-12-07")
    expect(sheet.locator("input[value='Ines']")).to_have_count(1)
    expect(sheet.locator("input[value='Panadería Hartwell']")).to_have_count(1)
    expect(sheet.get_by_label("Food")).to_be_checked()
    contacts = staff.locator("#contacts-table")
    expect(contacts.get_by_role("row", name=re.compile("Luis Ortega"))).to_contain_text(
        "2020-12-20"
    )
    expect(contacts.get_by_role("row", name=re.compile("Ana Ruiz"))).to_be_visible()
    expect(contacts.get_by_role("row", name=re.compile("Ines Delgado"))).to_be_visible()
    staff.close()
