"""The self-interview through the front door: steps, review, send; stored as self-reported."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from epitrace.accounts.scope import system_user
from epitrace.audit.models import AuditEvent
from epitrace.contacts.models import Exposure
from epitrace.interviews.models import Interview, InterviewSource
from epitrace.interviews.services import do_autosave
from epitrace.people.merge.choices import DuplicateSource
from epitrace.people.models import ContactPoint, Person, PossibleDuplicate
from epitrace.portal.tests.conftest import World, self_interview_link, token_of
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db


def open_interview(portal: Client, world: World) -> None:
    response = portal.get(f"/p/{token_of(self_interview_link(world.case))}/", follow=True)
    assert response.status_code == 200


def step(portal: Client, page: str, **data: object) -> Any:
    return portal.post(f"/p/interview/{page}/", data)


def fill_in(portal: Client) -> None:
    assert (
        step(
            portal, "symptoms", symptoms=["cough", "fever"], onset_date="2020-12-07", action="next"
        ).status_code
        == 302
    )
    step(
        portal,
        "household",
        given_name="Ines",
        family_name="Delgado",
        birth_date="2012-03-04",
        phone="",
        action="add",
    )
    step(
        portal,
        "household",
        given_name="Tomas",
        family_name="Delgado",
        age="44",
        phone="860 555 0199",
        action="next",
    )
    step(
        portal,
        "settings",
        type="workplace",
        name="Hartwell Bakery",
        date="2020-12-06",
        action="next",
    )
    step(
        portal,
        "contacts",
        given_name="Luis",
        family_name="Ortega",
        phone="(860) 555-0148",
        relation="work",
        setting="workplace",
        last_exposure_date="2020-12-06",
        action="add",
    )
    step(
        portal,
        "contacts",
        given_name="Ana",
        family_name="Ruiz",
        phone="860-555-0149",
        relation="social",
        setting="social",
        last_exposure_date="2020-12-05",
        action="next",
    )
    step(portal, "needs", needs=["food", "medication"], consent="on", action="next")


def test_a_case_sends_the_self_interview_and_a_tracer_finds_it(
    world: World, portal: Client
) -> None:
    open_interview(portal, world)
    fill_in(portal)
    review = portal.get("/p/interview/review/")
    assert b"Tos" in review.content
    assert b"Luis Ortega" in review.content
    sent = portal.post("/p/interview/review/", {"action": "send"}, follow=True)
    assert b"Hemos recibido sus respuestas" in sent.content

    interview = Interview.objects.get(case=world.case)
    assert interview.source == InterviewSource.PORTAL
    assert interview.self_reported_at is not None
    assert not interview.is_completed
    assert interview.data["symptoms"] == ["cough", "fever"]
    assert interview.data["onset_date"] == "2020-12-07"
    assert interview.data["needs"] == ["food", "medication"]
    assert interview.data["needs_consent"] == "yes"
    assert [r["type"] for r in interview.data["settings"]] == ["workplace"]
    ines, tomas = interview.data["household"]
    assert ines["guardian"] == "case"
    assert tomas["guardian"] == ""
    assert "Tomas Delgado: 44" in interview.data["notes"]

    exposures = Exposure.objects.filter(case=world.case)
    names = sorted(e.contact.full_name for e in exposures)
    assert names == ["Ana Ruiz", "Ines Delgado", "Luis Ortega", "Tomas Delgado"]
    assert Person.objects.get(given_name="Ines").guardian == world.case.person
    assert ContactPoint.objects.filter(person__given_name="Luis", value="+18605550148").exists()
    assert ContactPoint.objects.filter(person__given_name="Tomas", value="+18605550199").exists()

    system = system_user()
    events = AuditEvent.objects.filter(actor=system, reason="portal")
    assert events.filter(object_type="interviews.interview").exists()
    assert events.filter(object_type="contacts.exposure").count() == 4

    again = portal.get("/p/interview/symptoms/")
    assert b"Ya enviado" in again.content


def test_duplicates_are_caught_by_the_matcher(world: World, portal: Client) -> None:
    # Name and birth date: the same person, reused.
    ines = f.PersonFactory.create(
        jurisdiction=world.personas.a.jurisdiction,
        given_name="Ines",
        family_name="Delgado",
        birth_date=dt.date(2012, 3, 4),
    )
    # Name and phone only: maybe the same; a new person, and the pair goes to the queue.
    luis = f.PersonFactory.create(
        jurisdiction=world.personas.a.jurisdiction, given_name="Luis", family_name="Ortega"
    )
    f.ContactPointFactory.create(person=luis, value="+18605550148")
    open_interview(portal, world)
    fill_in(portal)
    portal.post("/p/interview/review/", {"action": "send"})
    assert Exposure.objects.get(case=world.case, contact__given_name="Ines").contact == ines
    assert Person.objects.filter(given_name="Ines", family_name="Delgado").count() == 1
    new_luis = Exposure.objects.get(case=world.case, contact__given_name="Luis").contact
    if new_luis != luis:
        pair = PossibleDuplicate.objects.get(source=DuplicateSource.PORTAL)
        assert {pair.person_a_id, pair.person_b_id} == {luis.pk, new_luis.pk}


def test_errors_are_listed_with_links_to_the_fields(world: World, portal: Client) -> None:
    open_interview(portal, world)
    response = step(portal, "symptoms", symptoms=["cough"], onset_date="2999-01-01", action="next")
    assert response.status_code == 400
    content = response.content.decode()
    assert 'href="#f-onset_date"' in content
    assert 'aria-invalid="true"' in content
    assert "Esta fecha no puede ser posterior a hoy." in content


def test_a_step_cannot_be_skipped(world: World, portal: Client) -> None:
    open_interview(portal, world)
    response = portal.get("/p/interview/review/")
    assert response["Location"] == "/p/interview/symptoms/"


def test_a_tracer_completed_interview_is_not_overwritten(world: World, portal: Client) -> None:
    tracer = world.personas.a.tracer
    do_autosave(
        world.case, {"changes": {"notes": {"value": "by phone", "stamp": 1}}}, acting_user=tracer
    )
    Interview.objects.filter(case=world.case).update(
        status="completed", completed_at="2020-12-11T10:00Z"
    )
    open_interview(portal, world)
    response = portal.get("/p/interview/symptoms/")
    assert (
        "Su entrevista con el departamento de salud ya está completa".encode() in response.content
    )
    assert Interview.objects.get(case=world.case).data["notes"] == "by phone"


def test_what_a_tracer_typed_stays(world: World, portal: Client) -> None:
    tracer = world.personas.a.tracer
    do_autosave(
        world.case,
        {
            "changes": {
                "onset_date": {"value": "2020-12-06", "stamp": 1},
                "symptoms": {"value": ["chills"], "stamp": 1},
            }
        },
        acting_user=tracer,
    )
    open_interview(portal, world)
    fill_in(portal)
    portal.post("/p/interview/review/", {"action": "send"})
    interview = Interview.objects.get(case=world.case)
    assert interview.data["onset_date"] == "2020-12-06"
    assert interview.data["symptoms"] == ["chills", "cough", "fever"]
    assert interview.source == InterviewSource.STAFF
    assert interview.self_reported_at is not None
