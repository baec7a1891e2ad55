"""The out-of-state queue: residents of other states, within the user's scope only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from epitrace.jurisdictions.models import Jurisdiction
from epitrace.labs.choices import MessageState
from epitrace.labs.models import RawMessage
from epitrace.labs.web.tests.messages import VALID_TYPE, WRONG_TYPE, rejected_oru, staff
from epitrace.people.models import Person
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

URL = reverse("labs:out_of_state")


def listed(response: Any) -> list[int]:
    return [person.pk for person in response.context["page"].object_list]


def out_of_state(jurisdiction: Jurisdiction, state: str = "NY", **fields: Any) -> Person:
    return f.PersonFactory.create(
        jurisdiction=jurisdiction, state=state, address_status="out_of_state", **fields
    )


def result_days_ago(person: Person, days: int) -> None:
    f.LabResultFactory.create(
        person=person, specimen_collected_at=timezone.now() - dt.timedelta(days=days)
    )


def test_the_state_sees_out_of_state_residents_newest_first(
    personas: Personas, client: Client
) -> None:
    older = out_of_state(personas.state, family_name="Okafor", state="NY")
    result_days_ago(older, 20)
    newer = out_of_state(personas.state, family_name="Lindqvist", state="MA")
    result_days_ago(newer, 2)
    case = f.CaseFactory.create(person=newer)
    no_result = out_of_state(personas.state, family_name="Nakamura", state="RI")
    client.force_login(personas.state_epi)
    response = client.get(URL)
    assert response.status_code == 200
    # The personas themselves live in the state: not in the queue.
    assert listed(response) == [newer.pk, older.pk, no_result.pk]
    text = response.content.decode()
    assert "Lindqvist" in text
    assert "MA" in text
    assert case.number in text
    assert f"{timezone.localtime() - dt.timedelta(days=2):%Y-%m-%d}" in text
    assert "forwarding means" in text
    assert "Alvarez" not in text


def test_an_lhd_sees_only_its_own_scope(personas: Personas, client: Client) -> None:
    at_state = out_of_state(personas.state)
    in_b = out_of_state(personas.b.jurisdiction, family_name="Brzezinski-Vogel")
    client.force_login(personas.a.tracer)
    assert listed(client.get(URL)) == []
    client.force_login(personas.b.tracer)
    response = client.get(URL)
    assert listed(response) == [in_b.pk]
    assert at_state.family_name not in response.content.decode()


def test_only_cases_within_reach_are_shown(personas: Personas, client: Client) -> None:
    # Elicited as a contact by LHD A: LHD A sees the person, not LHD B's case of theirs.
    person = out_of_state(personas.b.jurisdiction)
    f.ExposureFactory.create(case=personas.a.case, contact=person)
    theirs = f.CaseFactory.create(person=person)
    client.force_login(personas.a.tracer)
    response = client.get(URL)
    assert listed(response) == [person.pk]
    assert theirs.number not in response.content.decode()


def test_query_count_does_not_grow_with_rows(
    personas: Personas, client: Client, django_assert_max_num_queries: Any
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            person = out_of_state(personas.state)
            f.CaseFactory.create(person=person)
            result_days_ago(person, 1)

    add(2)
    client.force_login(personas.state_epi)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    add(28)
    with django_assert_max_num_queries(len(few)):
        response = client.get(URL)
    assert len(listed(response)) == 25


def test_an_accepted_report_from_another_state_lands_in_the_queue(
    personas: Personas, client: Client
) -> None:
    # The ReportStream patient lives in Texas: accepted, kept at the state, queued.
    message = rejected_oru()
    admin = staff("state.admin", personas.state, "state_admin")
    client.force_login(admin)
    corrected = message.content.replace(WRONG_TYPE, VALID_TYPE)
    client.post(reverse("labs:error_detail", args=[message.pk]), {"content": corrected})
    message.refresh_from_db()
    assert message.state == MessageState.PROCESSED
    assert message.jurisdiction_id == personas.state.pk
    person = Person.objects.restrict(admin, "view").get(family_name="Buckridge")
    assert person.address_status == "out_of_state"
    assert listed(client.get(URL)) == [person.pk]
    assert RawMessage.objects.restrict(personas.a.tracer, "view").filter(pk=message.pk).count() == 0
