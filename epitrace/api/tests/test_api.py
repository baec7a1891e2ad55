"""The REST API through the front door, with real API client keys."""

from __future__ import annotations

import pytest
from django.test import Client

from epitrace.accounts.models import ApiClient
from epitrace.accounts.scope import system_user
from epitrace.accounts.services import do_create_api_client, do_revoke_api_client
from epitrace.audit.models import AuditEvent
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.testing.personas import Personas

READ = ["cases.view_case", "people.view_person", "people.view_contactpoint", "labs.view_labresult"]


def key_for(jurisdiction: Jurisdiction, capabilities: list[str] = READ) -> tuple[ApiClient, str]:
    return do_create_api_client(
        f"feed {jurisdiction.code}", jurisdiction, capabilities, acting_user=system_user()
    )


def call(key: str, path: str) -> object:
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_a_client_reads_its_own_jurisdiction_only(personas: Personas) -> None:
    client, key = key_for(personas.a.jurisdiction)
    response = call(key, "/api/v1/cases/")
    assert response.status_code == 200  # type: ignore[attr-defined]
    ids = {row["id"] for row in response.json()["results"]}  # type: ignore[attr-defined]
    assert ids == {personas.a.case.pk}
    assert call(key, f"/api/v1/cases/{personas.a.case.pk}/").status_code == 200  # type: ignore[attr-defined]
    hidden = call(key, f"/api/v1/cases/{personas.b.case.pk}/")
    missing = call(key, "/api/v1/cases/987654/")
    assert hidden.status_code == missing.status_code == 404  # type: ignore[attr-defined]
    assert hidden.content == missing.content  # type: ignore[attr-defined]
    client.refresh_from_db()
    assert client.last_used_at is not None


def test_reads_are_audited_under_the_client(personas: Personas) -> None:
    client, key = key_for(personas.a.jurisdiction)
    call(key, f"/api/v1/persons/{personas.a.person.pk}/")
    event = AuditEvent.objects.filter(action="read", person_id=personas.a.person.pk).latest("id")
    assert client.key_prefix in event.actor_label


def test_capabilities_limit_what_a_client_reads(personas: Personas) -> None:
    _, key = key_for(personas.a.jurisdiction, ["labs.view_labresult"])
    assert call(key, "/api/v1/cases/").json()["results"] == []  # type: ignore[attr-defined]
    assert call(key, f"/api/v1/lab-results/{personas.a.lab.pk}/").status_code == 200  # type: ignore[attr-defined]


def test_a_revoked_or_wrong_key_is_refused(personas: Personas) -> None:
    client, key = key_for(personas.a.jurisdiction)
    assert call(key + "x", "/api/v1/cases/").status_code == 401  # type: ignore[attr-defined]
    assert call("et_nothing_here", "/api/v1/cases/").status_code == 401  # type: ignore[attr-defined]
    do_revoke_api_client(client, acting_user=system_user())
    assert call(key, "/api/v1/cases/").status_code == 401  # type: ignore[attr-defined]


def test_the_key_is_stored_only_as_a_digest(personas: Personas) -> None:
    client, key = key_for(personas.a.jurisdiction)
    stored = ApiClient.objects.filter(pk=client.pk).values_list("key_digest", "key_prefix").get()
    assert key not in stored
    assert stored[0] == ApiClient.digest(key)


def test_no_credentials_no_data(db: None) -> None:
    response = Client().get("/api/v1/cases/")
    assert response.status_code in {401, 403}


@pytest.mark.django_db
def test_the_schema_is_served() -> None:
    response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/cases/{id}/" in response.json()["paths"]
