"""``of_person`` reads the same rows as ``restrict(...).filter(person=...)``, whoever asks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.core.querysets import found_in_reach
from epitrace.core.statements import PersonRows
from epitrace.jurisdictions.models import BreakGlass, RecordShare
from epitrace.outreach.choices import InboundKind, InboundState
from epitrace.outreach.models import CheckInAnswer, InboundMessage, OutboxMessage
from epitrace.outreach.services import enqueue
from epitrace.people.models import ContactPoint, Person, PersonIdentifier
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db

BY_PERSON = (ContactPoint, PersonIdentifier, OutboxMessage, InboundMessage, CheckInAnswer)


def _rows(personas: Personas) -> None:
    """Rows of every kind for the persons of both sides."""
    number = 100
    for side in (personas.a, personas.b):
        for person in (side.person, side.contact):
            number += 1
            phone = f"+1203555{number:04d}"  # not the factories' 860 numbers
            f.ContactPointFactory.create(person=person, kind="phone", value=phone)
            PersonIdentifier.objects.create(
                person=person, authority="MRN", type_code="MR", value=f"mrn-{person.pk}"
            )
            enqueue("sms", "closing", person=person, address=phone)
            InboundMessage.objects.create(
                provider_id=f"SM-{person.pk}",
                from_address=phone,
                body="call me back",
                kind=InboundKind.OTHER,
                state=InboundState.NEEDS_STAFF,
                person=person,
                jurisdiction=person.jurisdiction,
            )
            CheckInAnswer.objects.create(
                person=person, day=timezone.localdate(), symptomatic=False, channel="sms"
            )


def share_and_break_glass(personas: Personas) -> BreakGlass:
    """Side A's person shared with side B; B's tracer in A's contact by break-glass (an hour)."""
    RecordShare.objects.create(
        person=personas.a.person,
        jurisdiction=personas.b.jurisdiction,
        reason="cluster at a school",
        created_by=personas.state_epi,
    )
    return BreakGlass.objects.create(
        user=personas.b.tracer,
        person_id=personas.a.contact.pk,
        reason="urgent",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )


def _askers(personas: Personas) -> list[Any]:
    return [
        personas.a.tracer,
        personas.b.tracer,
        personas.state_epi,
        AnonymousUser(),
        system_user(),
        f.UserFactory.create(username="no.membership"),
    ]


def _compare(personas: Personas, action: str = "view") -> None:
    persons = [personas.a.person, personas.a.contact, personas.b.person, personas.b.contact]
    for asker in _askers(personas):
        for model in BY_PERSON:
            for person in persons:
                expected = set(
                    model.objects.restrict(asker, action)
                    .filter(person_id=person.pk)
                    .values_list("pk", flat=True)
                )
                found = set(
                    model.objects.of_person(asker, person.pk, action).values_list("pk", flat=True)
                )
                assert found == expected, (model.__name__, asker, person.pk, action)


@pytest.mark.parametrize("action", ["view", "change"])
def test_same_rows_as_restrict_on_both_sides_of_the_boundary(personas, action):
    _rows(personas)
    assert ContactPoint.objects.of_person(personas.a.tracer, personas.a.person.pk).exists()
    assert not ContactPoint.objects.of_person(personas.a.tracer, personas.b.person.pk).exists()
    _compare(personas, action)


def test_same_rows_through_a_share_and_a_break_glass(personas):
    _rows(personas)
    share_and_break_glass(personas)
    assert OutboxMessage.objects.of_person(personas.b.tracer, personas.a.person.pk).exists()
    assert OutboxMessage.objects.of_person(personas.b.tracer, personas.a.contact.pk).exists()
    _compare(personas)
    _compare(personas, "change")


def test_the_person_is_asked_about_once_per_request(personas):
    _rows(personas)
    tracer, pk = personas.a.tracer, personas.a.person.pk
    list(OutboxMessage.objects.of_person(tracer, pk))
    with CaptureQueriesContext(connection) as queries:
        list(InboundMessage.objects.of_person(tracer, pk))
    # The row read only: the person's visibility under the same jurisdictions is known.
    assert len(queries.captured_queries) == 1


def test_a_model_whose_rule_is_not_its_persons_is_refused(personas):
    from epitrace.cases.models import Case

    with pytest.raises(TypeError):
        Case.objects.of_person(personas.a.tracer, personas.a.person.pk)


def _compare_rows(personas: Personas, action: str = "view") -> None:
    """``PersonRows`` reads what ``of_person`` reads, for every asker, model and person."""
    persons = [personas.a.person, personas.a.contact, personas.b.person, personas.b.contact]
    readers = {model: PersonRows(model) for model in BY_PERSON}
    for asker in _askers(personas):
        for model, rows in readers.items():
            for person in persons:
                expected = list(model.objects.of_person(asker, person.pk, action))
                found = rows.of_person(asker, person.pk, action)
                assert [r.pk for r in found] == [r.pk for r in expected], (model, asker, person)
                assert [r.__dict__.keys() for r in found] == [r.__dict__.keys() for r in expected]


@pytest.mark.parametrize("action", ["view", "change"])
def test_person_rows_read_what_of_person_reads(personas, action):
    _rows(personas)
    tracer = personas.a.tracer
    assert PersonRows(ContactPoint).of_person(tracer, personas.a.person.pk)
    assert not PersonRows(ContactPoint).of_person(tracer, personas.b.person.pk)
    _compare_rows(personas, action)


def test_person_rows_through_a_share_and_a_break_glass(personas):
    _rows(personas)
    share_and_break_glass(personas)
    assert PersonRows(OutboxMessage).of_person(personas.b.tracer, personas.a.contact.pk)
    _compare_rows(personas)
    _compare_rows(personas, "change")


def test_a_person_found_through_restrict_is_not_asked_about_again(personas):
    _rows(personas)
    tracer, pk = personas.a.tracer, personas.a.person.pk
    assert Person.objects.restrict(tracer, "view").filter(pk=pk).exists()
    found_in_reach(tracer, pk)
    with CaptureQueriesContext(connection) as queries:
        points = PersonRows(ContactPoint).of_person(tracer, pk)
    assert points
    assert len(queries.captured_queries) == 1  # the rows, not the person's visibility


def test_a_person_found_elsewhere_is_still_asked_about(personas):
    """Noting a person seen by one user or action answers nothing for another."""
    _rows(personas)
    pk = personas.b.person.pk
    found_in_reach(personas.b.tracer, pk)
    assert not PersonRows(ContactPoint).of_person(personas.a.tracer, pk)
    found_in_reach(personas.b.tracer, pk, "change")
    assert not PersonRows(ContactPoint).of_person(personas.a.tracer, pk, "change")
