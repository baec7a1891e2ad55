"""Recording: what lands in the event row, what in the payload, and in whose transaction."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from epitrace.accounts.scope import system_user
from epitrace.audit import services
from epitrace.audit.choices import Action
from epitrace.audit.models import AuditChainHead, AuditEvent, AuditPayload
from epitrace.audit.verify import verify
from epitrace.testing.factories import PASSWORD
from epitrace.testing.personas import Personas


def test_events_follow_each_other_in_one_chain(personas: Personas) -> None:
    tracer = personas.a.tracer
    first = services.record_read(tracer, personas.a.person)
    second = services.record_read(tracer, personas.a.case)
    assert (first.chain, first.seq) == (second.chain, 1)
    assert second.seq == 2
    assert second.prev_hash == first.hash
    head = AuditChainHead.objects.get(chain=first.chain)
    assert (head.last_seq, head.last_hash) == (2, second.hash)
    assert verify().ok


def test_read_names_user_and_person_from_any_of_its_records(personas: Personas) -> None:
    side = personas.a
    tracer = side.tracer
    assert services.record_read(tracer, side.person).person_id == side.person.pk
    assert services.record_read(tracer, side.case).person_id == side.person.pk
    assert services.record_read(tracer, side.lab).person_id == side.person.pk
    exposure = services.record_read(tracer, side.exposure)
    assert exposure.person_id == side.contact.pk
    assert exposure.object_type == "contacts.exposure"
    assert exposure.object_id == str(side.exposure.pk)
    assert exposure.jurisdiction_id == side.exposure.jurisdiction_id
    assert (exposure.actor_id, exposure.actor_label) == (tracer.pk, "tracer.a")


def test_events_roll_back_with_the_change_they_describe(personas: Personas) -> None:
    def failing_change() -> None:
        with transaction.atomic():
            services.record_read(personas.a.tracer, personas.a.person)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert not AuditEvent.objects.exists()
    assert not AuditChainHead.objects.filter(last_seq__gt=0).exists()
    assert verify().ok


def test_change_keeps_only_changed_fields_in_the_payload(personas: Personas) -> None:
    person = personas.a.person
    before = services.snapshot(person)
    person.family_name = "Alvarez-Cruz"
    person.save()
    event = services.record_change(personas.a.tracer, person, before, services.snapshot(person))
    assert event is not None
    assert event.action == Action.UPDATE
    assert AuditPayload.objects.get(event=event).data == {
        "changes": {"family_name": ["Alvarez", "Alvarez-Cruz"]}
    }
    assert "Alvarez" not in event.reason + event.object_id + event.actor_label
    unchanged = services.snapshot(person)
    assert services.record_change(personas.a.tracer, person, unchanged, unchanged) is None


def test_secrets_are_redacted_from_changes() -> None:
    diff = services.changes({"password": "old-hash", "city": "A"}, {"password": "new", "city": "A"})
    assert diff == {"password": ["[redacted]", "[redacted]"]}


def test_payload_values_survive_the_database_round_trip(personas: Personas) -> None:
    payload = {
        "when": dt.date(2024, 2, 29),
        "at": dt.datetime(2024, 2, 29, 12, 30, tzinfo=dt.UTC),
        "dose": decimal.Decimal("0.50"),
        "ratio": 1e20,
        "text": "Zoë \u0000 \u2028",
        "ids": {3, 1, 2},
    }
    services.record(Action.EXPORT, actor=personas.state_epi, payload=payload)
    assert verify().ok


def test_bulk_writes_many_events_in_one_chain(
    personas: Personas, django_assert_max_num_queries
) -> None:
    actor = system_user()
    services.record_read(actor, personas.a.person)  # the day's heads exist already
    ids = list(range(1000, 1250))
    with django_assert_max_num_queries(16):  # batches, never one per event
        events = services.record_bulk(
            actor,
            Action.CREATE,
            ids,
            model="labs.labresult",
            payloads=[{"changes": {"value": [None, i]}} for i in ids],
            reason="import batch 7",
        )
    assert len(events) == 250
    assert len({e.chain for e in events}) == 1
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + 250))
    assert all(e.actor_label == "system" and e.actor_id == actor.pk for e in events)
    assert AuditPayload.objects.filter(event__in=events).count() == 250
    assert verify().ok


def test_one_event_is_one_statement_on_postgresql(
    personas: Personas, django_assert_num_queries
) -> None:
    """Nearly every staff request writes one event: after the head the thread moved
    last, the head's lock and move, the event and its payload are one statement."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writes go through bulk_create")
    services.record_read(personas.a.tracer, personas.a.person)  # the thread's head is known
    with django_assert_num_queries(1):
        read = services.record_read(personas.a.tracer, personas.a.case)
    with django_assert_num_queries(1):
        change = services.record_change(
            personas.a.tracer, personas.a.case, {"status": "open"}, {"status": "closed"}
        )
    assert change is not None
    assert (change.seq, change.prev_hash) == (read.seq + 1, read.hash)
    stored = AuditEvent.objects.get(pk=change.pk)
    assert stored.hash == change.hash
    assert stored.payload.body == '{"changes":{"status":["open","closed"]}}'
    head = AuditChainHead.objects.get(chain=change.chain)
    assert (head.last_seq, head.last_hash) == (change.seq, change.hash)
    assert verify().ok


def test_an_event_after_a_rolled_back_one_follows_the_stored_head(personas: Personas) -> None:
    """The thread's memory of its head is ahead of the database after a rollback:
    the next event is chained after what was stored, not after what was undone."""
    tracer = personas.a.tracer
    first = services.record_read(tracer, personas.a.person)

    def failing_change() -> None:
        with transaction.atomic():
            services.record_read(tracer, personas.a.case)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    after = services.record_read(tracer, personas.a.case)
    assert (after.chain, after.seq, after.prev_hash) == (first.chain, first.seq + 1, first.hash)
    assert verify().ok


def test_bulk_with_ids_needs_a_model(personas: Personas) -> None:
    with pytest.raises(ValueError, match="model"):
        services.record_bulk(personas.a.tracer, Action.DELETE, [1, 2])


def test_unknown_action_is_refused(personas: Personas) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        services.record("peek", actor=personas.a.tracer)


def test_search_terms_go_to_the_payload(personas: Personas) -> None:
    event = services.record_search(
        personas.a.tracer, "people.person", {"q": "Alvarez", "born": None}, result_count=3
    )
    assert event.action == Action.SEARCH
    assert event.object_type == "people.person"
    assert event.payload.data == {"search": {"q": "Alvarez"}, "results": 3}


def test_denied_lookup_names_the_person_asked_for(personas: Personas) -> None:
    event = services.record_denied(personas.b.tracer, "people.person", personas.a.person.pk)
    assert (event.action, event.person_id) == (Action.DENIED, personas.a.person.pk)
    assert event.object_id == str(personas.a.person.pk)


def test_request_gives_address_and_browser(personas: Personas) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.7", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 400
    )
    event = services.record_read(personas.a.tracer, personas.a.person, request=request)
    assert event.ip == "10.0.0.7"
    assert len(event.user_agent) == 256


def test_forwarded_address_only_behind_trusted_proxies(audit_settings) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert services.client_ip(request) == "10.0.0.1"
    audit_settings.EPITRACE_AUDIT_PROXY_COUNT = 1
    assert services.client_ip(request) == "203.0.113.9"
    assert services.client_ip(RequestFactory().get("/", REMOTE_ADDR="bogus")) is None


def test_sign_in_and_failed_sign_in_are_recorded(personas: Personas, client: Client) -> None:
    tracer = personas.a.tracer
    assert not client.login(username="tracer.a", password="wrong")
    assert not client.login(username="nobody.here", password="wrong")
    assert client.login(username="tracer.a", password=PASSWORD)
    client.post(reverse("account_logout"))
    events = list(AuditEvent.objects.order_by("chain", "seq"))
    assert [e.action for e in events] == [
        Action.LOGIN_FAILED,
        Action.LOGIN_FAILED,
        Action.LOGIN,
        Action.LOGOUT,
    ]
    assert events[0].actor_id == tracer.pk
    assert events[1].actor_id is None
    assert events[1].actor_label == "anonymous"
    assert events[1].payload.data == {"username": "nobody.here"}
    assert events[2].actor_id == tracer.pk
    assert verify().ok


def test_deleted_user_keeps_their_label(personas: Personas) -> None:
    tracer = personas.a.tracer
    event = services.record_read(tracer, personas.a.person)
    tracer.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor_label == "tracer.a"
    assert verify().ok


def test_lockouts_and_mfa_events_are_recorded(personas: Personas) -> None:
    from allauth.mfa import signals as mfa
    from allauth.mfa.models import Authenticator
    from axes.signals import user_locked_out

    tracer = personas.a.tracer
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4")
    user_locked_out.send("axes", request=request, username="tracer.a", ip_address="198.51.100.4")
    authenticator = Authenticator(user=tracer, type=Authenticator.Type.TOTP)
    mfa.authenticator_added.send(
        Authenticator, request=request, user=tracer, authenticator=authenticator
    )
    locked, added = AuditEvent.objects.order_by("seq")
    assert (locked.action, locked.actor_id, locked.reason) == (
        Action.LOGIN_FAILED,
        tracer.pk,
        "locked out",
    )
    assert locked.ip == "198.51.100.4"
    assert (added.action, added.actor_id, added.reason) == (
        Action.MFA,
        tracer.pk,
        "authenticator_added:totp",
    )
