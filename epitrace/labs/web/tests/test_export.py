"""The lab-results export: the staff page and the API, each limited to what the caller sees."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.accounts.services import do_create_api_client
from epitrace.audit.models import AuditEvent
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.labs.exports import COLUMNS
from epitrace.labs.models import LabResult
from epitrace.labs.web.tests.messages import staff
from epitrace.testing.personas import Personas

PAGE = reverse("labs:export")
API = "/api/v1/lab-results/export/"
TODAY = f"{timezone.localdate():%Y%m%d}"


def body(response: Any) -> str:
    """The streamed download, read to the end (the audit is written as it streams)."""
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response))))


# --- The staff page --------------------------------------------------------------


def test_the_page_shows_a_posted_form(personas: Personas, client: Client) -> None:
    client.force_login(personas.state_epi)
    response = client.get(PAGE)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'method="post"' in text
    assert 'name="format"' in text
    assert 'name="since"' in text
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_state_exports_every_lhd_as_csv(personas: Personas, client: Client) -> None:
    client.force_login(personas.state_epi)
    response = client.post(PAGE, {"format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="lab-results-{TODAY}.csv"'
    assert response["Cache-Control"] == "no-store"
    text = body(response)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["family_name"] for row in rows} == {"Alvarez", "Brzezinski"}


def test_an_lhd_a_user_never_gets_lhd_b_rows(personas: Personas, client: Client) -> None:
    epi_a = staff("epi.a", personas.a.jurisdiction, "epidemiologist")
    client.force_login(epi_a)
    rows = csv_rows(client.post(PAGE, {"format": "csv"}))
    assert [row["control_id"] for row in rows] == [personas.a.lab.control_id]
    assert rows[0]["family_name"] == "Alvarez"
    assert rows[0]["jurisdiction"] == "lhd-a"
    assert "Brzezinski" not in json.dumps(rows)


def test_the_export_and_each_person_shown_are_audited(personas: Personas, client: Client) -> None:
    epi_a = staff("epi.a", personas.a.jurisdiction, "epidemiologist")
    client.force_login(epi_a)
    body(client.post(PAGE, {"format": "csv"}))
    export = AuditEvent.objects.get(action="export", actor=epi_a)
    assert export.object_type == "labs.labresult"
    reads = AuditEvent.objects.filter(action="read", actor=epi_a, reason="lab-results export")
    assert set(reads.values_list("person_id", flat=True)) == {personas.a.person.pk}


def test_json_and_since(personas: Personas, client: Client) -> None:
    LabResult.objects.filter(pk=personas.b.lab.pk).update(
        imported_at=timezone.now() - dt.timedelta(days=30)
    )
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    client.force_login(personas.state_epi)
    response = client.post(PAGE, {"format": "json", "since": since})
    assert response["Content-Disposition"] == f'attachment; filename="lab-results-{TODAY}.json"'
    rows = json.loads(body(response))
    assert [row["control_id"] for row in rows] == [personas.a.lab.control_id]


def test_a_bad_format_shows_the_form_again(personas: Personas, client: Client) -> None:
    client.force_login(personas.state_epi)
    response = client.post(PAGE, {"format": "xlsx"})
    assert response.status_code == 200
    assert not response.streaming
    assert response.context["form"].errors["format"]
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tracer_without_reports_export_gets_404(
    personas: Personas, client: Client, method: str
) -> None:
    client.force_login(personas.a.tracer)
    response = getattr(client, method)(PAGE, {"format": "csv"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


# --- The API ---------------------------------------------------------------------


def key_for(jurisdiction: Jurisdiction, capabilities: list[str]) -> str:
    _, key = do_create_api_client(
        f"export {jurisdiction.code}", jurisdiction, capabilities, acting_user=system_user()
    )
    return key


def call(key: str, **params: str) -> Any:
    return Client().get(API, params, HTTP_AUTHORIZATION=f"Bearer {key}")


EXPORT = ["reports.export", "labs.view_labresult"]


@pytest.mark.urls("epitrace.labs.web.tests.api_urls")
def test_an_api_client_exports_its_own_jurisdiction_only(personas: Personas) -> None:
    response = call(key_for(personas.a.jurisdiction, EXPORT))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="lab-results-{TODAY}.csv"'
    rows = csv_rows(response)
    assert [row["control_id"] for row in rows] == [personas.a.lab.control_id]
    event = AuditEvent.objects.get(action="export")
    assert event.actor_label.startswith("api:")


@pytest.mark.urls("epitrace.labs.web.tests.api_urls")
def test_the_api_takes_format_and_since(personas: Personas) -> None:
    LabResult.objects.filter(pk=personas.a.lab.pk).update(
        imported_at=timezone.now() - dt.timedelta(days=30)
    )
    key = key_for(personas.state, EXPORT)
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    response = call(key, format="json", since=since)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert [row["control_id"] for row in json.loads(body(response))] == [personas.b.lab.control_id]
    assert call(key, format="xlsx").status_code == 400
    assert call(key, since="yesterday").status_code == 400


@pytest.mark.urls("epitrace.labs.web.tests.api_urls")
def test_an_api_client_without_reports_export_is_refused(personas: Personas) -> None:
    response = call(key_for(personas.a.jurisdiction, ["labs.view_labresult"]))
    assert response.status_code == 403
    assert "reports.export" in response.json()["detail"]
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.urls("epitrace.labs.web.tests.api_urls")
def test_the_api_refuses_anonymous_callers(db: None) -> None:
    assert Client().get(API).status_code in {401, 403}


@pytest.mark.urls("epitrace.labs.web.tests.api_urls")
def test_staff_use_the_api_with_their_own_scope(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    assert client.get(API).status_code == 403
    epi_a = staff("epi.a", personas.a.jurisdiction, "epidemiologist")
    client.force_login(epi_a)
    rows = csv_rows(client.get(API))
    assert [row["control_id"] for row in rows] == [personas.a.lab.control_id]
