"""POST /api/v1/lab-reports: idempotent, and a rejection the sender can act on."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from epitrace.accounts.scope import system_user
from epitrace.accounts.services import do_create_api_client
from epitrace.labs.ingest.synthetic import MessageFactory
from epitrace.labs.models import LabResult, RawMessage
from epitrace.testing.personas import Personas

HL7 = "x-application/hl7-v2+er7"


def key(personas: Personas, capabilities: list[str]) -> str:
    _, secret = do_create_api_client(
        "state lab", personas.state, capabilities, acting_user=system_user()
    )
    return secret


def post(secret: str, body: str, content_type: str = HL7) -> object:
    return Client().post(
        "/api/v1/lab-reports",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def message() -> str:
    factory = MessageFactory(seed=21)
    when = dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC)
    return factory.message(factory.person(), positive=True, collected=when)


def test_a_report_is_accepted_once(personas: Personas) -> None:
    secret = key(personas, ["labs.add_labresult"])
    first = post(secret, message())
    assert first.status_code == 201, first.content  # type: ignore[attr-defined]
    assert first.json()["status"] == "accepted"  # type: ignore[attr-defined]
    again = post(secret, message())
    assert again.status_code == 200  # type: ignore[attr-defined]
    assert again.json()["status"] == "duplicate"  # type: ignore[attr-defined]
    assert LabResult.objects.filter(raw_message__source="api").count() == 1


def test_a_rejection_is_a_problem_document_and_the_message_is_kept(personas: Personas) -> None:
    secret = key(personas, ["labs.add_labresult"])
    response = post(secret, message().replace("ORU^R01^ORU_R01", "ADT^A01"))
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/problem+json"  # type: ignore[index]
    assert "ADT" in response.json()["detail"]  # type: ignore[attr-defined]
    assert RawMessage.objects.filter(state="rejected", source="api").exists()


def test_a_client_without_the_capability_is_refused(personas: Personas) -> None:
    secret = key(personas, ["cases.view_case"])
    assert post(secret, message()).status_code == 403  # type: ignore[attr-defined]
    assert not RawMessage.objects.exists()


def test_fhir_is_accepted_by_content_type(personas: Personas) -> None:
    from pathlib import Path

    import pytest

    folder = Path(__file__).resolve().parents[3].parent / "shared/testdata/elr/fhir/home-lab-report"
    bundle = next(folder.glob("Bundle-*.json"), None) if folder.exists() else None
    if bundle is None:
        pytest.skip("shared test data not present")
    secret = key(personas, ["labs.add_labresult"])
    response = post(secret, bundle.read_text(), "application/fhir+json")
    assert response.status_code == 201, response.content  # type: ignore[attr-defined]
    lab = LabResult.objects.get(raw_message__format="fhir")
    assert (lab.test_loinc, lab.interpretation) == ("95209-3", "positive")
