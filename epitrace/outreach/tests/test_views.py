"""Staff pages: the message log, replies to handle, the person page's messages panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from epitrace.accounts.scope import system_user
from epitrace.audit.models import AuditEvent
from epitrace.outreach.choices import InboundKind, InboundState
from epitrace.outreach.models import CheckInAnswer, InboundMessage
from epitrace.outreach.services import do_suppress, enqueue
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db
A_PHONE, B_PHONE = "+18605550101", "+18605550202"


@pytest.fixture
def traffic(personas: Any) -> dict[str, Any]:
    """A message and a reply needing staff on each side of the boundary."""
    rows = {}
    for side, phone in (("a", A_PHONE), ("b", B_PHONE)):
        person = getattr(personas, side).person
        rows[f"{side}_sent"] = enqueue("sms", "closing", person=person, address=phone)
        rows[f"{side}_reply"] = InboundMessage.objects.create(
            provider_id=f"SM-{side}",
            from_address=phone,
            body=f"call me back {side}",
            kind=InboundKind.OTHER,
            state=InboundState.NEEDS_STAFF,
            person=person,
            jurisdiction=person.jurisdiction,
        )
    do_suppress(A_PHONE, "sms", "stop", acting_user=system_user())
    return rows


def _supervisor(personas: Any, side: str = "a") -> Any:
    user = f.UserFactory.create(username=f"supervisor.{side}")
    jurisdiction = getattr(personas, side).jurisdiction
    f.MembershipFactory.create(user=user, jurisdiction=jurisdiction, role="supervisor")
    return user


def test_the_log_is_404_without_the_capability(client: Any, personas: Any) -> None:
    client.force_login(personas.a.tracer)
    assert client.get("/outreach/log/").status_code == 404


def test_the_log_shows_only_the_supervisors_jurisdiction(
    client: Any, personas: Any, traffic: dict[str, Any]
) -> None:
    client.force_login(_supervisor(personas))
    page = client.get("/outreach/log/").content.decode()
    assert personas.a.person.full_name in page
    assert personas.b.person.full_name not in page
    assert "(860) 555-0202" not in page
    assert "Opted out" in page
    assert AuditEvent.objects.filter(action="search", object_type="outreach.outboxmessage").exists()


def test_the_log_filters_by_address_in_a_post(
    client: Any, personas: Any, traffic: dict[str, Any]
) -> None:
    state_admin = f.UserFactory.create(username="state.admin")
    f.MembershipFactory.create(user=state_admin, jurisdiction=personas.state, role="state_admin")
    client.force_login(state_admin)
    both = client.get("/outreach/log/").content.decode()
    assert personas.a.person.full_name in both
    assert personas.b.person.full_name in both
    one = client.post("/outreach/log/", {"address": B_PHONE}).content.decode()
    assert personas.b.person.full_name in one
    assert personas.a.person.full_name not in one


def test_replies_to_handle_are_scoped_and_handled(
    client: Any, personas: Any, traffic: dict[str, Any]
) -> None:
    client.force_login(personas.a.tracer)
    page = client.get("/outreach/replies/").content.decode()
    assert "call me back a" in page
    assert "call me back b" not in page
    b_reply = traffic["b_reply"]
    assert client.post(f"/outreach/replies/{b_reply.pk}/handled/").status_code == 404
    a_reply = traffic["a_reply"]
    assert client.get(f"/outreach/replies/{a_reply.pk}/handled/").status_code == 405
    done = client.post(f"/outreach/replies/{a_reply.pk}/handled/", {"note": "called back"})
    assert done.status_code == 302
    a_reply.refresh_from_db()
    assert a_reply.state == InboundState.DONE
    assert a_reply.handled_by == personas.a.tracer
    assert a_reply.note == "called back"
    assert "call me back a" not in client.get("/outreach/replies/").content.decode()


def test_a_missing_reply_is_404_like_a_hidden_one(client: Any, personas: Any) -> None:
    client.force_login(personas.a.tracer)
    assert client.post("/outreach/replies/999999/handled/").status_code == 404


def test_the_person_panel_shows_messages_answers_and_opt_outs(
    personas: Any, traffic: dict[str, Any]
) -> None:
    a = personas.a
    f.ContactPointFactory.create(person=a.person, value=A_PHONE)
    CheckInAnswer.objects.create(
        person=a.person, day=traffic["a_sent"].key_day, symptomatic=False, channel="sms"
    )
    html = _panel(a.tracer, a.person)
    assert "Closing message" in html
    assert "Opted out" in html
    assert "Feels well" in html
    assert "call me back a" in html
    # Another jurisdiction's staff sees nothing of it, even given the person object.
    hidden = _panel(personas.b.tracer, a.person)
    assert "Closing message" not in hidden
    assert "call me back a" not in hidden


def _panel(user: Any, person: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template('{% include "outreach/_person_messages.html" %}')
    return template.render(Context({"request": request, "person": person}))


def test_the_logs_queries_do_not_grow_with_its_rows(
    client: Any, personas: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(_supervisor(personas))
    people = f.PersonFactory.create_batch(3, jurisdiction=personas.a.jurisdiction)
    enqueue("sms", "closing", person=people[0], address=A_PHONE)
    with django_assert_max_num_queries(30) as few:
        client.get("/outreach/log/")
    for i, person in enumerate(people[1:]):
        enqueue("sms", "closing", person=person, address=f"+1860555030{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/outreach/log/")
