"""Sharing, transfer and break-glass through the front door."""

from __future__ import annotations

import pytest
from django.test import Client

from epitrace.accounts.testing import StaffClient
from epitrace.audit.models import AuditEvent
from epitrace.cases.models import Case
from epitrace.jurisdictions.models import BreakGlass, RecordShare, Transfer
from epitrace.labs.models import LabResult
from epitrace.people.models import Person
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas
from epitrace.web.tests.utils import page_as_shown


def login(client: Client, user: object) -> Client:
    client.force_login(user)  # type: ignore[arg-type]
    return client


def supervisor(personas: Personas, side: str = "a") -> object:
    user = f.UserFactory.create()
    jur = getattr(personas, side).jurisdiction
    f.MembershipFactory.create(user=user, jurisdiction=jur, role="supervisor")
    return user


def test_share_makes_the_record_visible_to_the_other_lhd_until_revoked(
    client: Client, personas: Personas
) -> None:
    a, b = personas.a, personas.b
    login(client, supervisor(personas))
    response = client.post(
        f"/people/{a.person.pk}/share/",
        {"share-jurisdiction": b.jurisdiction.pk, "share-reason": "Student at a school in LHD B"},
    )
    assert response.status_code == 302
    share = RecordShare.objects.get(person=a.person)
    assert Person.objects.restrict(b.tracer, "view").filter(pk=a.person.pk).exists()
    assert Case.objects.restrict(b.tracer, "view").filter(pk=a.case.pk).exists()
    assert LabResult.objects.restrict(b.tracer, "view").filter(pk=a.lab.pk).exists()
    assert login(StaffClient(), b.tracer).get(f"/people/{a.person.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="share", person_id=a.person.pk).exists()
    # Visible on the record, and revocable.
    page = page_as_shown(client, f"/people/{a.person.pk}/")
    assert "Student at a school in LHD B" in page
    client.post(f"/people/{a.person.pk}/shares/{share.pk}/revoke/")
    assert not Person.objects.restrict(b.tracer, "view").filter(pk=a.person.pk).exists()
    assert login(StaffClient(), b.tracer).get(f"/people/{a.person.pk}/").status_code == 404


def test_a_tracer_cannot_share(client: Client, personas: Personas) -> None:
    login(client, personas.a.tracer)
    client.post(
        f"/people/{personas.a.person.pk}/share/",
        {"share-jurisdiction": personas.b.jurisdiction.pk, "share-reason": "no reason at all"},
    )
    assert not RecordShare.objects.exists()


def test_sharing_needs_a_reason(client: Client, personas: Personas) -> None:
    login(client, supervisor(personas))
    client.post(
        f"/people/{personas.a.person.pk}/share/",
        {"share-jurisdiction": personas.b.jurisdiction.pk, "share-reason": "short"},
    )
    assert not RecordShare.objects.exists()


def test_transfer_moves_the_record_with_history(client: Client, personas: Personas) -> None:
    a, b = personas.a, personas.b
    login(client, supervisor(personas))
    response = client.post(
        f"/people/{a.person.pk}/transfer/",
        {"transfer-jurisdiction": b.jurisdiction.pk, "transfer-reason": "Moved to a town in LHD B"},
    )
    assert response.status_code == 302
    a.person.refresh_from_db()
    a.case.refresh_from_db()
    a.lab.refresh_from_db()
    assert a.person.jurisdiction == b.jurisdiction
    assert a.case.jurisdiction == b.jurisdiction
    assert a.lab.jurisdiction == b.jurisdiction
    transfer = Transfer.objects.get(person=a.person)
    assert (transfer.from_jurisdiction, transfer.moved_cases) == (a.jurisdiction, 1)
    assert login(StaffClient(), b.tracer).get(f"/cases/{a.case.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="transfer", person_id=a.person.pk).exists()


def test_break_glass_opens_one_record_with_a_reason_shown_to_the_director(
    client: Client, personas: Personas
) -> None:
    a, b = personas.a, personas.b
    epi_b = f.UserFactory.create()
    f.MembershipFactory.create(user=epi_b, jurisdiction=b.jurisdiction, role="epidemiologist")
    login(client, epi_b)
    assert client.get(f"/people/{a.person.pk}/").status_code == 404
    response = client.post(
        "/break-glass/", {"record": a.case.number, "reason": "Hospital called about this case"}
    )
    assert response.status_code == 302
    # The page and the records it loads.
    assert a.case.number in page_as_shown(client, f"/people/{a.person.pk}/")
    # View only: a break-glass grants no change.
    assert not Person.objects.restrict(epi_b, "change").filter(pk=a.person.pk).exists()
    assert AuditEvent.objects.filter(action="break_glass", person_id=a.person.pk).exists()
    director = f.UserFactory.create()
    f.MembershipFactory.create(user=director, jurisdiction=a.jurisdiction, role="lhd_director")
    log = login(StaffClient(), director).get("/break-glass/log/")
    assert b"Hospital called about this case" in log.content
    # LHD B's director does not see LHD A's residents' break-glass log.
    other = f.UserFactory.create()
    f.MembershipFactory.create(user=other, jurisdiction=b.jurisdiction, role="lhd_director")
    assert b"Hospital called" not in login(StaffClient(), other).get("/break-glass/log/").content


def test_break_glass_is_absent_for_a_tracer(client: Client, personas: Personas) -> None:
    login(client, personas.b.tracer)
    assert client.get("/break-glass/").status_code == 404
    assert not BreakGlass.objects.exists()


@pytest.mark.parametrize("record", ["999999", "C-9999999"])
def test_break_glass_on_a_missing_record_answers_like_any_other(
    client: Client, personas: Personas, record: str
) -> None:
    epi = f.UserFactory.create()
    f.MembershipFactory.create(
        user=epi, jurisdiction=personas.b.jurisdiction, role="epidemiologist"
    )
    login(client, epi)
    response = client.post("/break-glass/", {"record": record, "reason": "Checking a record"})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 404


def test_opening_a_person_page_adds_one_read_row(client: Client, personas: Personas) -> None:
    client.force_login(personas.a.tracer)
    before = AuditEvent.objects.count()
    assert client.get(f"/people/{personas.a.person.pk}/").status_code == 200
    new = list(AuditEvent.objects.order_by("id")[before:])
    reads = [e for e in new if e.action == "read"]
    assert len(reads) == 1
    assert reads[0].person_id == personas.a.person.pk
    assert reads[0].actor_id == personas.a.tracer.pk


def test_a_denied_lookup_is_audited(client: Client, personas: Personas) -> None:
    client.force_login(personas.b.tracer)
    assert client.get(f"/people/{personas.a.person.pk}/").status_code == 404
    denied = AuditEvent.objects.filter(action="denied").latest("id")
    assert denied.actor_id == personas.b.tracer.pk
