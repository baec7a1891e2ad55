"""Letters through the front door: reach, refusals, language and the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from epitrace.accounts.testing import StaffClient
from epitrace.audit.models import AuditEvent
from epitrace.cases.models import Case
from epitrace.letters.tests.conftest import flat, pdf_text
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas
from epitrace.web.tests.utils import without_csrf_tokens

METHODS = ["get", "head", "post", "put", "patch", "delete", "options"]


def case_url(pk: int, kind: str = "isolation", **query: str) -> str:
    url = reverse("letters:case_letter", args=[pk, kind])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def exposure_url(pk: int, kind: str = "quarantine") -> str:
    return reverse("letters:exposure_letter", args=[pk, kind])


@pytest.fixture
def phoned(personas: Personas) -> Personas:
    """The personas' departments with phone numbers, as letters need them."""
    for side, number in ((personas.a, "+18605550110"), (personas.b, "+18605550120")):
        side.jurisdiction.phone = number
        side.jurisdiction.save(update_fields=["phone"])
    return personas


def ended_case(personas: Personas, **person: str) -> Case:
    side = personas.a
    someone = f.PersonFactory.create(jurisdiction=side.jurisdiction, **person)
    today = timezone.localdate()
    return f.CaseFactory.create(
        person=someone,
        isolation_start=today - dt.timedelta(days=12),
        isolation_end=today - dt.timedelta(days=2),
    )


@pytest.mark.django_db
def test_a_tracer_prints_an_isolation_letter_of_their_case(
    phoned: Personas, client: Client
) -> None:
    side = phoned.a
    client.force_login(side.tracer)
    response = client.get(case_url(side.case.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    assert side.case.number in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    text = flat(pdf_text(response.content))
    assert "Maria Alvarez" in text
    assert "Notice of home isolation" in text
    assert "(860) 555-0110" in text


@pytest.mark.django_db
def test_printing_a_letter_is_audited_as_an_export(phoned: Personas, client: Client) -> None:
    side = phoned.a
    client.force_login(side.tracer)
    client.get(case_url(side.case.pk, language="es"))
    event = AuditEvent.objects.get(action="export")
    assert event.actor_id == side.tracer.pk
    assert event.object_type == "cases.case"
    assert event.object_id == str(side.case.pk)
    assert event.person_id == side.person.pk
    assert event.jurisdiction_id == side.jurisdiction.pk
    assert event.payload.data == {"letter": "isolation", "language": "es", "template_version": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["isolation", "release"])
def test_another_jurisdictions_case_is_not_found_for_every_method(
    phoned: Personas, kind: str
) -> None:
    client = StaffClient()
    client.force_login(phoned.b.tracer)
    for method in METHODS:
        response = getattr(client, method)(case_url(phoned.a.case.pk, kind))
        assert response.status_code == 404, method
    assert not AuditEvent.objects.filter(action="export").exists()
    denied = AuditEvent.objects.filter(action="denied", object_type="cases.case")
    assert denied.count() == len(METHODS)


@pytest.mark.django_db
def test_hidden_and_missing_records_answer_the_same(phoned: Personas, client: Client) -> None:
    client.force_login(phoned.b.tracer)
    hidden = client.get(case_url(phoned.a.case.pk))
    missing = client.get(case_url(987654))
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf_tokens(hidden.content) == without_csrf_tokens(missing.content)
    hidden = client.get(exposure_url(phoned.a.exposure.pk))
    missing = client.get(exposure_url(987654))
    assert hidden.status_code == missing.status_code == 404


@pytest.mark.django_db
def test_the_state_sees_both_departments_letters(phoned: Personas, client: Client) -> None:
    client.force_login(phoned.state_epi)
    for side in (phoned.a, phoned.b):
        assert client.get(case_url(side.case.pk)).status_code == 200
        assert client.get(exposure_url(side.exposure.pk)).status_code == 200


@pytest.mark.django_db
def test_a_letter_kind_the_record_has_not_is_not_found(phoned: Personas, client: Client) -> None:
    side = phoned.a
    client.force_login(side.tracer)
    assert client.get(case_url(side.case.pk, "quarantine")).status_code == 404
    assert client.get(exposure_url(side.exposure.pk, "isolation")).status_code == 404
    assert client.get(case_url(side.case.pk, "eviction")).status_code == 404


@pytest.mark.django_db
def test_the_persons_language_is_used_and_can_be_overridden(
    phoned: Personas, client: Client
) -> None:
    case = ended_case(phoned, given_name="Lucía", family_name="Peña", preferred_language="es")
    client.force_login(phoned.a.tracer)
    spanish = flat(pdf_text(client.get(case_url(case.pk, "release")).content))
    assert "Fin del aislamiento o de la cuarentena" in spanish
    assert "Lucía Peña" in spanish
    english = flat(pdf_text(client.get(case_url(case.pk, "release", language="en")).content))
    assert "Release from isolation or quarantine" in english


@pytest.mark.django_db
def test_a_language_without_letters_falls_back_to_english(phoned: Personas, client: Client) -> None:
    case = ended_case(phoned, preferred_language="fr")
    client.force_login(phoned.a.tracer)
    text = flat(pdf_text(client.get(case_url(case.pk, "release")).content))
    assert "Release from isolation or quarantine" in text


@pytest.mark.django_db
def test_an_unknown_language_is_a_clear_error(phoned: Personas, client: Client) -> None:
    client.force_login(phoned.a.tracer)
    response = client.get(case_url(phoned.a.case.pk, language="xx"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "“xx”" in body
    assert "en, es, pt, ht, pl, vi, zh, ar" in body


@pytest.mark.django_db
def test_a_release_during_isolation_is_refused_with_the_reason(
    phoned: Personas, client: Client
) -> None:
    side = phoned.a
    client.force_login(side.tracer)
    response = client.get(case_url(side.case.pk, "release"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "This letter cannot be printed" in body
    end = side.case.isolation_end
    assert end is not None
    assert f"Isolation lasts until {end.isoformat()}" in body
    assert reverse("case_detail", args=[side.case.pk]) in body
    assert not AuditEvent.objects.filter(action="export").exists()
    assert AuditEvent.objects.filter(action="read", object_type="cases.case").exists()


@pytest.mark.django_db
def test_a_case_without_an_end_date_gets_no_release_letter(
    phoned: Personas, client: Client
) -> None:
    side = phoned.a
    Case.objects.filter(pk=side.case.pk).update(isolation_end=None)
    client.force_login(side.tracer)
    for kind in ("isolation", "release"):
        response = client.get(case_url(side.case.pk, kind))
        assert response.status_code == 409
        assert "has no isolation end date yet" in response.content.decode()


@pytest.mark.django_db
def test_a_department_without_any_phone_is_told_to_add_one(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.a.tracer)
    response = client.get(case_url(personas.a.case.pk))
    assert response.status_code == 409
    assert "no phone number on record" in response.content.decode()


@pytest.mark.django_db
def test_a_department_without_a_phone_gives_the_states(personas: Personas, client: Client) -> None:
    personas.state.phone = "+18605550100"
    personas.state.save(update_fields=["phone"])
    client.force_login(personas.a.tracer)
    response = client.get(case_url(personas.a.case.pk))
    assert response.status_code == 200
    assert "(860) 555-0100" in flat(pdf_text(response.content))


@pytest.mark.django_db
def test_a_deceased_person_gets_no_letter(phoned: Personas, client: Client) -> None:
    side = phoned.a
    side.person.deceased_date = timezone.localdate()
    side.person.save(update_fields=["deceased_date"])
    client.force_login(side.tracer)
    response = client.get(case_url(side.case.pk))
    assert response.status_code == 409
    assert "deceased" in response.content.decode()


@pytest.mark.django_db
def test_quarantine_and_release_letters_of_a_contact(phoned: Personas, client: Client) -> None:
    side = phoned.a
    exposure = side.exposure
    client.force_login(side.tracer)
    response = client.get(exposure_url(exposure.pk))
    assert response.status_code == 200
    text = flat(pdf_text(response.content))
    assert "Tomas Alvarez" in text
    assert "Notice of home quarantine" in text
    assert exposure.quarantine_end is not None
    assert exposure.quarantine_end.strftime("%B") in text
    event = AuditEvent.objects.get(action="export")
    assert event.object_type == "contacts.exposure"
    assert event.person_id == side.contact.pk
    exposure.quarantine_end = timezone.localdate() - dt.timedelta(days=1)
    exposure.save(update_fields=["quarantine_end"])
    assert client.get(exposure_url(exposure.pk, "release")).status_code == 200


@pytest.mark.django_db
def test_a_contact_who_became_a_case_gets_the_cases_letters(
    phoned: Personas, client: Client
) -> None:
    side = phoned.a
    side.exposure.monitoring_status = "became_case"
    side.exposure.save(update_fields=["monitoring_status"])
    client.force_login(side.tracer)
    response = client.get(exposure_url(side.exposure.pk))
    assert response.status_code == 409
    assert "has become a case" in response.content.decode()
