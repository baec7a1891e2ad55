"""Self-enrolment after an exposure alert: the code, its limits, the matcher, the record."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import Page, ViewportSize, expect

from epitrace.audit.models import AuditEvent
from epitrace.contacts.choices import ExposureSource, MonitoringStatus
from epitrace.contacts.models import Exposure
from epitrace.core.reference import ensure_reference_data
from epitrace.diseases.models import DiseaseProfile
from epitrace.jurisdictions.models import Jurisdiction, PostalCode, Town
from epitrace.outreach.choices import Purpose
from epitrace.outreach.models import OutboxMessage
from epitrace.people.choices import AddressStatus
from epitrace.people.models import ContactPoint, Person, PossibleDuplicate
from epitrace.portal import ratelimit
from epitrace.portal.enrol import SESSION_KEY, profile_on
from epitrace.portal.models import MAX_CODE_ATTEMPTS, EnrolmentCode
from epitrace.portal.tests.conftest import PortalClient
from epitrace.queues.choices import Kind
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas, build_personas

pytestmark = pytest.mark.django_db

PHONE = "+18605550148"


@pytest.fixture
def hartwell(personas: Personas) -> Town:
    town = f.TownFactory.create(name="Hartwell", jurisdiction=personas.a.jurisdiction)
    PostalCode.objects.create(code="06201", town=town)
    return town


def form(**changes: Any) -> dict[str, Any]:
    values = {
        "given_name": "Tomás",
        "family_name": "Arellano",
        "birth_date": "1984-03-09",
        "phone": "(860) 555-0148",
        "email": "",
        "language": "es",
        "town": "",
        "postcode": "06201",
        "state": Jurisdiction.objects.root().state_code,
        "exposure_date": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
    }
    values.update(changes)
    return values


def enrolments() -> Any:
    return Exposure.objects.filter(source=ExposureSource.EN_ENROLMENT)


def sent_code(phone: str = PHONE) -> str:
    """The code in the last SMS sent to ``phone``."""
    messages = OutboxMessage.objects.filter(purpose=Purpose.ENROL_CODE, address=phone)
    message = messages.latest("pk")
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found is not None, message.body
    return found.group(1)


def ask_code(portal: Client, **changes: Any) -> Any:
    portal.get("/p/enrol/")  # the page that holds the session's form key
    response = portal.post("/p/enrol/", form(**changes))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/p/enrol/code/"
    return response


def enrol(portal: Client, **changes: Any) -> Exposure:
    ask_code(portal, **changes)
    response = portal.post("/p/enrol/code/", {"code": sent_code()})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/p/enrol/done/"
    return Exposure.objects.select_related("contact").get(pk=portal.session["portal_enrolled"])


def test_a_person_enrols_and_sees_the_quarantine_end_in_spanish(
    hartwell: Town, portal: Client
) -> None:
    start = portal.get("/p/enrol/")
    assert start.status_code == 200
    assert b'for="f-phone"' in start.content  # every input has its label
    ask_code(portal)
    code = sent_code()
    message = OutboxMessage.objects.get(purpose=Purpose.ENROL_CODE)
    assert message.person is None
    assert message.language == "es"
    assert "Es válido durante 15 minutos" in message.body
    # The code is kept only as a digest, and is never in the session, a page or an address.
    row = EnrolmentCode.objects.get()
    assert code not in row.code_digest
    assert PHONE not in row.phone_digest
    assert code not in str(dict(portal.session))
    page = portal.get("/p/enrol/code/")
    assert b'lang="es"' in page.content
    assert b"termina en 0148" in page.content
    assert code.encode() not in page.content

    done = portal.post("/p/enrol/code/", {"code": code}, follow=True)
    assert done.status_code == 200
    assert done.redirect_chain[-1][0] == "/p/enrol/done/"
    exposure = enrolments().get()
    assert exposure.case is None
    assert exposure.source == ExposureSource.EN_ENROLMENT
    assert exposure.monitoring_status == MonitoringStatus.MONITORING
    assert exposure.jurisdiction == hartwell.jurisdiction
    person = exposure.contact
    assert (person.given_name, person.preferred_language) == ("Tomás", "es")
    assert person.town == hartwell
    assert person.address_status == AddressStatus.RESOLVED
    assert ContactPoint.objects.filter(person=person, value=PHONE).exists()
    text = done.content.decode()
    assert "Ya está inscrito" in text
    assert exposure.quarantine_end is not None
    with translation.override("es"):
        end = date_format(exposure.quarantine_end, "DATE_FORMAT")
    assert f"Por favor, quédese en casa, apartado/a de los demás, hasta el {end}" in text
    assert SESSION_KEY not in portal.session  # what they typed leaves the session
    # The tracers' side: a notification item, and audit events that say "portal".
    assert WorkItem.objects.filter(kind=Kind.NOTIFICATION, exposure=exposure).exists()
    reasons = dict(
        AuditEvent.objects.filter(person_id=person.pk)
        .exclude(object_type="queues.workitem")  # the queue's own events
        .values_list("object_type", "reason")
    )
    assert reasons == {
        "people.person": "portal",
        "people.contactpoint": "portal",
        "contacts.exposure": "portal",
    }


def test_the_quarantine_end_comes_from_the_profile_in_force_on_the_exposure_date(
    hartwell: Town, portal: Client
) -> None:
    day = timezone.localdate() - dt.timedelta(days=2)
    exposure = enrol(portal, exposure_date=day.isoformat())
    profile = DiseaseProfile.objects.in_force(exposure.disease_id, day)  # type: ignore[arg-type]
    assert profile is not None
    assert exposure.profile == profile
    days = int(profile.parameters["quarantine_days"])
    assert days > 0
    assert exposure.quarantine_end == day + dt.timedelta(days=days)
    # A December 2020 exposure runs on the CDC's rules of the time, not today's.
    assert profile_on(dt.date(2020, 12, 1)).key == "covid-19-cdc-2020"


def test_a_wrong_code_counts_and_the_fifth_locks_the_code(hartwell: Town, portal: Client) -> None:
    ask_code(portal)
    right = sent_code()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    first = portal.post("/p/enrol/code/", {"code": wrong})
    assert first.status_code == 400
    assert "Le quedan 4 intentos" in first.content.decode()
    for _ in range(MAX_CODE_ATTEMPTS - 1):
        last = portal.post("/p/enrol/code/", {"code": wrong})
    assert "Demasiados códigos incorrectos" in last.content.decode()
    assert EnrolmentCode.objects.get().attempts == MAX_CODE_ATTEMPTS
    after = portal.post("/p/enrol/code/", {"code": right})
    assert after.status_code == 400
    assert not enrolments().exists()
    assert not Person.objects.filter(family_name="Arellano")


def test_an_expired_code_enrols_nobody(hartwell: Town, portal: Client) -> None:
    ask_code(portal)
    EnrolmentCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = portal.post("/p/enrol/code/", {"code": sent_code()})
    assert response.status_code == 400
    assert "Este código ha caducado" in response.content.decode()
    assert not enrolments().exists()


def test_asking_again_sends_a_new_code_and_only_the_newest_enrols(
    hartwell: Town, portal: Client
) -> None:
    ask_code(portal)
    first = sent_code()
    ask_code(portal)
    assert EnrolmentCode.objects.count() == 2
    assert OutboxMessage.objects.filter(purpose=Purpose.ENROL_CODE).count() == 2
    newest = sent_code()
    if first != newest:  # one chance in a million that both codes are the same
        refused = portal.post("/p/enrol/code/", {"code": first})
        assert refused.status_code == 400
    assert portal.post("/p/enrol/code/", {"code": newest}).status_code == 302


def test_codes_are_rate_limited_per_phone_and_per_address(hartwell: Town) -> None:
    for n in range(ratelimit.CODES_PER_PHONE.hits):
        ask_code(PortalClient(REMOTE_ADDR=f"192.0.2.{n + 1}"))
    late = PortalClient(REMOTE_ADDR="192.0.2.99")
    late.get("/p/enrol/")
    refused = late.post("/p/enrol/", form())
    assert refused.status_code == 429
    assert "Please try again later" in refused.content.decode()

    one = PortalClient(REMOTE_ADDR="198.51.100.7")
    for n in range(ratelimit.CODES_PER_IP.hits):
        ask_code(one, phone=f"(860) 555-{n + 200:04d}")
    refused = one.post("/p/enrol/", form(phone="(860) 555-0399"))
    assert refused.status_code == 429
    assert not OutboxMessage.objects.filter(address="+18605550399").exists()


def test_wrong_codes_are_rate_limited_per_address(hartwell: Town, portal: Client) -> None:
    for _ in range(ratelimit.WRONG_CODES_PER_IP.hits):
        ratelimit.hit(ratelimit.WRONG_CODES_PER_IP, "127.0.0.1")
    ask_code(portal)
    response = portal.post("/p/enrol/code/", {"code": sent_code()})
    assert response.status_code == 429
    assert not enrolments().exists()


def test_a_known_person_is_reused_and_gets_the_phone(
    hartwell: Town, personas: Personas, portal: Client
) -> None:
    known = f.PersonFactory.create(
        given_name="Tomás",
        family_name="Arellano",
        birth_date=dt.date(1984, 3, 9),
        city="Hartwell",
        postcode="06201",
        town=hartwell,
        jurisdiction=hartwell.jurisdiction,
        preferred_language="es",
    )
    f.ContactPointFactory.create(person=known, value="+18605550177")
    exposure = enrol(portal)
    assert exposure.contact == known
    assert Person.objects.filter(family_name="Arellano").count() == 1
    phones = list(
        ContactPoint.objects.filter(person=known, kind="phone").values_list("value", "rank")
    )
    assert phones == [("+18605550177", 1), (PHONE, 2)]  # their own number stays first


def test_a_doubtful_pair_goes_to_the_duplicates_queue(hartwell: Town, portal: Client) -> None:
    other = f.PersonFactory.create(
        given_name="Marisol",
        family_name="Arellano",
        birth_date=dt.date(1984, 3, 9),
        street="",
        city="Hartwell",
        postcode="06201",
        town=hartwell,
        jurisdiction=hartwell.jurisdiction,
    )
    f.ContactPointFactory.create(person=other, value=PHONE)
    exposure = enrol(portal)
    assert exposure.contact != other  # a shared phone and birthday: maybe twins
    pair = PossibleDuplicate.objects.get()
    assert {pair.person_a_id, pair.person_b_id} == {other.pk, exposure.contact_id}
    assert pair.source == "portal"


def test_enrolling_twice_gives_the_same_record(hartwell: Town, portal: Client) -> None:
    first = enrol(portal)
    EnrolmentCode.objects.update(used_at=timezone.now())
    OutboxMessage.objects.filter(purpose=Purpose.ENROL_CODE).delete()  # a new day
    again = PortalClient()
    second = enrol(again)
    assert second.pk == first.pk
    assert enrolments().count() == 1
    assert Person.objects.filter(family_name="Arellano").count() == 1
    assert WorkItem.objects.filter(exposure=first).count() == 1


def test_a_later_exposure_moves_the_same_enrolment_on(hartwell: Town, portal: Client) -> None:
    first = enrol(portal, exposure_date=(timezone.localdate() - dt.timedelta(days=5)).isoformat())
    OutboxMessage.objects.filter(purpose=Purpose.ENROL_CODE).delete()  # a new day
    later = timezone.localdate() - dt.timedelta(days=1)
    second = enrol(PortalClient(), exposure_date=later.isoformat())
    assert second.pk == first.pk
    assert second.last_exposure_date == later
    assert first.quarantine_end is not None
    assert second.quarantine_end is not None
    assert second.quarantine_end == first.quarantine_end + dt.timedelta(days=4)


def test_an_out_of_state_resident_is_flagged_for_forwarding(hartwell: Town, portal: Client) -> None:
    exposure = enrol(portal, state="MA", postcode="01002")
    root = Jurisdiction.objects.root()
    assert exposure.contact.address_status == AddressStatus.OUT_OF_STATE
    assert exposure.contact.jurisdiction == root
    assert exposure.jurisdiction == root


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"birth_date": "2012-01-01"}, "birth_date", "menor de 18"),
        ({"exposure_date": "2020-01-05"}, "exposure_date", "demasiado tiempo"),
        ({"phone": "12"}, "phone", "código de área"),
        ({"postcode": "", "town": ""}, "town", "código postal"),
    ],
)
def test_the_form_says_what_to_fix_and_sends_nothing(
    hartwell: Town, portal: Client, changes: dict[str, str], field: str, message: str
) -> None:
    portal.get("/p/enrol/")
    switched = portal.post("/p/language/", {"language": "es", "next": "/p/enrol/"})
    assert switched["Location"] == "/p/enrol/"
    response = portal.post("/p/enrol/", form(**changes))
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text
    assert f'href="#f-{field}"' in text
    assert not EnrolmentCode.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_the_code_page_needs_step_one(portal: Client) -> None:
    assert portal.get("/p/enrol/code/")["Location"] == "/p/enrol/"
    assert portal.get("/p/enrol/done/")["Location"] == "/p/enrol/"


PHONE_SCREEN: ViewportSize = {"width": 360, "height": 740}


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_SCREEN["width"], f"{page.url} scrolls sideways ({width}px)"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_person_enrols_in_spanish_on_a_phone_with_the_keyboard(
    live_server: Any, page: Page
) -> None:
    ensure_reference_data()
    personas = build_personas()
    town = f.TownFactory.create(name="Hartwell", jurisdiction=personas.a.jurisdiction)
    PostalCode.objects.create(code="06201", town=town)
    page.set_viewport_size(PHONE_SCREEN)
    page.goto(f"{live_server.url}/p/enrol/")
    page.get_by_label("Language", exact=True).select_option("es")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Inscríbase después de una alerta de exposición"
    )
    fits(page)
    values = form()
    page.get_by_label("Nombre", exact=True).fill(values["given_name"])
    page.get_by_label("Apellido(s)").fill(values["family_name"])
    page.get_by_label("Fecha de nacimiento").fill(values["birth_date"])
    page.get_by_label("Número de teléfono celular").fill(values["phone"])
    page.get_by_label("Idioma de nuestros mensajes").select_option("es")
    page.get_by_label("Código postal").fill(values["postcode"])
    page.get_by_label("Fecha de la exposición que indica la alerta").fill(values["exposure_date"])
    page.get_by_label("Fecha de la exposición que indica la alerta").press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Escriba su código")
    fits(page)
    code = page.get_by_label("Código del mensaje de texto")
    code.fill("000000" if sent_code() != "000000" else "111111")
    code.press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Este código no es correcto")
    summary.get_by_role("link").click()  # the summary takes the keyboard to the field
    expect(code).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(sent_code())
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Ya está inscrito")
    expect(page.get_by_role("status")).to_contain_text("quédese en casa")
    fits(page)
    assert enrolments().get().contact.family_name == "Arellano"
