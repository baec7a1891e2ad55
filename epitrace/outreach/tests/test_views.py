"""Staff pages: the message log, replies to handle, the person page's messages panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from epitrace.accounts.scope import system_user
from epitrace.audit.models import AuditEvent
from epitrace.outreach.choices import InboundKind, InboundState
from epitrace.outreach.models import CheckInAnswer, InboundMessage, OutboxMessage
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


def _state_admin(personas: Any) -> Any:
    user = f.UserFactory.create(username="state.admin.log")
    f.MembershipFactory.create(user=user, jurisdiction=personas.state, role="state_admin")
    return user


def test_the_log_filters_by_jurisdiction_and_offers_only_visible_ones(
    client: Any, personas: Any, traffic: dict[str, Any]
) -> None:
    client.force_login(_state_admin(personas))
    a, b = personas.a.jurisdiction, personas.b.jurisdiction
    only_b = client.post("/outreach/log/", {"jurisdiction": b.pk}).content.decode()
    assert personas.b.person.full_name in only_b
    assert personas.a.person.full_name not in only_b
    everything = client.post("/outreach/log/", {"jurisdiction": personas.state.pk}).content.decode()
    assert personas.a.person.full_name in everything
    assert personas.b.person.full_name in everything
    # A supervisor of LHD A is offered LHD A only, and cannot ask for LHD B.
    client.force_login(_supervisor(personas))
    page = client.get("/outreach/log/").content.decode()
    assert f'value="{a.pk}"' in page
    assert f'value="{b.pk}"' not in page
    refused = client.post("/outreach/log/", {"jurisdiction": b.pk}).content.decode()
    assert personas.b.person.full_name not in refused


@pytest.mark.parametrize(
    ("criteria", "shown", "hidden"),
    [
        ({"state": "cancelled"}, "a", "b"),  # A's number opted out: its closing was cancelled
        ({"state": "queued"}, "b", "a"),
        ({"channel": "email"}, "b", "a"),
        ({"purpose": "self_interview"}, "b", "a"),
    ],
)
def test_the_log_filters_by_state_channel_and_purpose(
    client: Any,
    personas: Any,
    traffic: dict[str, Any],
    criteria: dict[str, str],
    shown: str,
    hidden: str,
) -> None:
    enqueue(
        "email",
        "self_interview",
        person=personas.b.person,
        address="b@example.org",
        context={"link": "https://portal.example.org/p/x/"},
    )
    traffic["b_sent"].delete()
    client.force_login(_state_admin(personas))
    page = client.post("/outreach/log/", criteria).content.decode()
    assert getattr(personas, shown).person.full_name in page
    assert getattr(personas, hidden).person.full_name not in page


def test_the_log_filters_by_day(client: Any, personas: Any, traffic: dict[str, Any]) -> None:
    import datetime as dt

    day = traffic["a_sent"].key_day
    client.force_login(_state_admin(personas))
    today = client.post("/outreach/log/", {"day": day.isoformat()}).content.decode()
    assert personas.a.person.full_name in today
    other = (day - dt.timedelta(days=3)).isoformat()
    assert (
        personas.a.person.full_name
        not in client.post("/outreach/log/", {"day": other}).content.decode()
    )


def test_an_opted_out_address_is_marked_wherever_outreach_shows_it(
    client: Any, personas: Any, traffic: dict[str, Any]
) -> None:
    client.force_login(_state_admin(personas))
    log = client.get("/outreach/log/").content.decode()
    # A's number carries the badge, B's does not.
    a_cell = log.split("(860) 555-0101", 1)[1].split("</td>", 1)[0]
    b_cell = log.split("(860) 555-0202", 1)[1].split("</td>", 1)[0]
    assert "Opted out" in a_cell
    assert "Opted out" not in b_cell
    client.force_login(personas.a.tracer)
    replies = client.get("/outreach/replies/").content.decode()
    assert "Opted out" in replies.split("(860) 555-0101", 1)[1].split("·", 1)[0]


def test_the_opt_out_tags_read_one_query_for_a_page(
    personas: Any, traffic: dict[str, Any], django_assert_num_queries: Any
) -> None:
    template = Template(
        "{% load outreach %}{% opted_out_addresses points as opted_out %}"
        "{% for p in points %}{% address p.value 'sms' opted_out %};{% endfor %}"
        "{% opt_out_badge single %}"
    )
    points = [
        f.ContactPointFactory.build(value=A_PHONE),
        f.ContactPointFactory.build(value=B_PHONE),
    ]
    with django_assert_num_queries(2):  # the set, then the lone address without one
        html = template.render(Context({"points": points, "single": A_PHONE}))
    first, second, badge = html.split(";")
    assert "(860) 555-0101" in first
    assert "Opted out" in first
    assert "(860) 555-0202" in second
    assert "Opted out" not in second
    assert "Opted out" in badge


def test_the_person_panel_shows_sent_and_received_with_status(
    personas: Any, traffic: dict[str, Any]
) -> None:
    a = personas.a
    other = enqueue(
        "email",
        "self_interview",
        person=a.person,
        address="maria@example.org",
        context={"link": "https://portal.example.org/p/x/"},
    )
    html = _panel(a.tracer, a.person)
    assert "Self-interview link" in html
    assert "maria@example.org" in html
    assert other.get_state_display() in html  # Queued
    assert "Cancelled" in html  # the closing SMS to the opted-out number
    assert "call me back a" in html
    assert "Needs staff" in html


def test_the_replies_entry_reads_what_restrict_reads(
    personas: Any, traffic: dict[str, Any]
) -> None:
    from django.utils import timezone

    from epitrace.core.tests.test_of_person import _askers, share_and_break_glass
    from epitrace.outreach.templatetags.outreach import _NEEDING_STAFF

    def same() -> None:
        for asker in _askers(personas):
            expected = (
                InboundMessage.objects.restrict(asker, "change")
                .filter(state=InboundState.NEEDS_STAFF)
                .exists()
            )
            assert bool(_NEEDING_STAFF.fetch(asker)) == expected, str(asker)

    InboundMessage.objects.filter(pk=traffic["b_reply"].pk).update(
        state=InboundState.DONE, handled_by=personas.b.tracer, handled_at=timezone.now()
    )
    same()
    assert _NEEDING_STAFF.fetch(personas.a.tracer)
    assert not _NEEDING_STAFF.fetch(personas.b.tracer)
    # A reply about A's contact, whom B's tracer reaches by break-glass.
    InboundMessage.objects.filter(pk=traffic["a_reply"].pk).update(person=personas.a.contact)
    share_and_break_glass(personas)
    same()
    # A reply from an unknown number, kept in B's jurisdiction.
    InboundMessage.objects.create(
        provider_id="SM-unknown",
        from_address="+18605550303",
        body="who is this",
        kind=InboundKind.OTHER,
        state=InboundState.NEEDS_STAFF,
        jurisdiction=personas.b.jurisdiction,
    )
    same()
    assert _NEEDING_STAFF.fetch(personas.b.tracer)


def test_the_panels_opt_outs_are_those_of_what_the_user_sees(
    personas: Any, traffic: dict[str, Any]
) -> None:
    """The opt-outs by statement equal those of the restricted rows, whoever asks."""
    from django.db.models import Q

    from epitrace.core.tests.test_of_person import _askers, share_and_break_glass
    from epitrace.outreach.models import Suppression
    from epitrace.outreach.templatetags.outreach import person_outreach
    from epitrace.people.models import ContactPoint

    a = personas.a
    f.ContactPointFactory.create(person=a.person, value=A_PHONE)
    f.ContactPointFactory.create(person=a.contact, value="+18605550909")
    do_suppress("+18605550909", "sms", "stop", acting_user=system_user())
    do_suppress(B_PHONE, "sms", "stop", acting_user=system_user())
    share_and_break_glass(personas)
    for asker in _askers(personas):
        request = RequestFactory().get("/")
        request.user = asker
        for person in (a.person, a.contact, personas.b.person):
            found = person_outreach(Context({"request": request}), person)
            sent = OutboxMessage.objects.of_person(asker, person.pk)
            received = InboundMessage.objects.of_person(asker, person.pk)
            numbers = ContactPoint.objects.of_person(asker, person.pk).values("value")
            addresses = {m.address for m in sent} | {r.from_address for r in received}
            expected = Suppression.objects.filter(
                Q(address__in=numbers) | Q(address__in=addresses), lifted_at__isnull=True
            )
            assert sorted(o.pk for o in found.opt_outs) == sorted(o.pk for o in expected), (
                str(asker),
                person.pk,
            )
