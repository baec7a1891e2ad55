"""Purge erases the personal values in the audit trail and the chains still verify."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from epitrace.accounts.scope import system_user
from epitrace.audit import services
from epitrace.audit.choices import Action
from epitrace.audit.db import payload_erasure
from epitrace.audit.models import AuditEvent, AuditPayload
from epitrace.audit.tests.utils import problems_at, tamper
from epitrace.audit.verify import verify
from epitrace.testing.personas import Personas


def _edit(personas: Personas, person_side: str) -> AuditEvent:
    side = getattr(personas, person_side)
    before = services.snapshot(side.person)
    side.person.street = "1 Elm Street"
    side.person.save()
    event = services.record_change(side.tracer, side.person, before, services.snapshot(side.person))
    assert event is not None
    return event


def test_purge_erases_payloads_of_the_persons_and_verify_stays_ok(personas: Personas) -> None:
    erased = _edit(personas, "a")
    kept = _edit(personas, "b")
    read = services.record_read(personas.a.tracer, personas.a.person)
    purge = services.do_erase_payloads(
        [personas.a.person.pk], acting_user=system_user(), reason="closed before 2024-01-01"
    )
    assert not AuditPayload.objects.filter(event=erased).exists()
    assert AuditPayload.objects.filter(event=kept).exists()
    assert AuditEvent.objects.filter(pk__in=[erased.pk, read.pk]).count() == 2  # events stay
    assert (purge.action, purge.actor_label) == (Action.PURGE, "system")
    assert purge.payload.data == {"erased_persons": [personas.a.person.pk], "erased_payloads": 1}
    report = verify()
    assert report.ok, report.problems
    assert report.erased_payloads == 1


def test_a_payload_deleted_without_a_purge_is_named(personas: Personas) -> None:
    event = _edit(personas, "a")
    tamper("DELETE FROM audit_payload WHERE event_id = %s", [event.pk])
    [problem] = verify().problems
    assert problems_at(verify(), event)
    assert "without a purge" in problem.problem


def test_a_purge_covers_only_the_persons_it_lists(personas: Personas) -> None:
    services.do_erase_payloads([personas.a.person.pk], acting_user=system_user(), reason="r")
    other = _edit(personas, "b")
    tamper("DELETE FROM audit_payload WHERE event_id = %s", [other.pk])
    assert problems_at(verify(), other)


def test_an_altered_payload_is_named(personas: Personas) -> None:
    event = _edit(personas, "a")
    tamper("UPDATE audit_payload SET body = %s WHERE event_id = %s", ['{"changes":{}}', event.pk])
    [problem] = verify().problems
    assert (problem.event_id, problem.seq) == (event.pk, event.seq)
    assert "payload altered" in problem.problem


def test_a_payload_added_to_an_event_without_one_is_named(personas: Personas) -> None:
    read = services.record_read(personas.a.tracer, personas.a.person)
    tamper("INSERT INTO audit_payload (event_id, body) VALUES (%s, %s)", [read.pk, "{}"])
    assert problems_at(verify(), read)


def test_a_forged_purge_event_covers_nothing(personas: Personas) -> None:
    event = _edit(personas, "a")
    purge = services.record(
        Action.PURGE, actor=system_user(), payload={"erased_persons": [personas.b.person.pk]}
    )
    tamper(
        "UPDATE audit_payload SET body = %s WHERE event_id = %s",
        [f'{{"erased_persons":[{personas.a.person.pk}]}}', purge.pk],
    )
    tamper("DELETE FROM audit_payload WHERE event_id = %s", [event.pk])
    report = verify()
    assert problems_at(report, event)
    assert problems_at(report, purge)


def test_payloads_cannot_be_deleted_outside_a_purge(personas: Personas) -> None:
    event = _edit(personas, "a")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditPayload.objects.filter(event=event).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditPayload.objects.filter(event=event).update(body="{}")


def test_the_record_of_a_purge_is_never_erased(personas: Personas) -> None:
    purge = services.do_erase_payloads([personas.a.person.pk], acting_user=system_user(), reason="")
    with pytest.raises(DatabaseError), transaction.atomic(), payload_erasure():
        AuditPayload.objects.filter(event=purge).delete()
    assert AuditPayload.objects.filter(event=purge).exists()


def test_the_purge_gate_closes_with_its_block(personas: Personas) -> None:
    event = _edit(personas, "a")
    with transaction.atomic():
        with payload_erasure():
            pass
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditPayload.objects.filter(event=event).delete()
