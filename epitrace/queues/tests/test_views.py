"""The tracer's pages through the front door: Next, outcome, release, heartbeat, 404s."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from epitrace.audit.models import AuditEvent
from epitrace.queues import services
from epitrace.queues.choices import ClaimEnd, Outcome, State
from epitrace.queues.models import ClaimLog, WorkItem
from epitrace.queues.tests.helpers import case_item, tracer
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas
from epitrace.web.tests.utils import without_csrf_tokens

pytestmark = pytest.mark.django_db
METHODS = ["get", "head", "post", "put", "patch", "delete", "options"]


def test_next_opens_the_case_page_at_the_items_panel(personas: Personas, client: Client) -> None:
    item = case_item(personas.a.jurisdiction)
    client.force_login(personas.a.tracer)
    response = client.post(reverse("queues:next"))
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{item.case_id}/#work-item-{item.pk}"
    item.refresh_from_db()
    assert item.state == State.CLAIMED
    assert item.claimed_by == personas.a.tracer
    # An empty queue says so, back on the queue page.
    response = client.post(reverse("queues:next"), follow=True)
    assert b"Nothing is waiting for you right now" in response.content


def test_the_queue_page_shows_held_and_upcoming_items(personas: Personas, client: Client) -> None:
    jur = personas.a.jurisdiction
    held, waiting = case_item(jur, days_ago=1), case_item(jur, days_ago=2)
    services.next_item(personas.a.tracer)
    client.force_login(personas.a.tracer)
    body = client.get(reverse("queues:mine")).content.decode()
    assert f'id="work-item-{held.pk}"' in body
    assert reverse("queues:complete", args=[held.pk]) in body
    assert f'hx-post="{reverse("queues:keep", args=[held.pk])}"' in body  # the heartbeat
    assert waiting.case is not None
    assert waiting.case.number in body
    assert 'aria-keyshortcuts="n"' in body
    assert "queues/queue.js" in body


def test_the_queue_page_runs_the_same_queries_for_few_and_many_items(
    personas: Personas, client: Client
) -> None:
    jur = personas.a.jurisdiction
    user = personas.a.tracer
    client.force_login(user)

    def queries() -> int:
        client.get(reverse("queues:mine"))  # warm the session and caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("queues:mine")).status_code == 200
        return len(captured)

    for _ in range(2):
        case_item(jur)
    services.next_item(user)
    few = queries()
    for _ in range(8):
        case_item(jur)
    services.next_item(user)
    services.next_item(user)
    assert queries() == few


def test_recording_an_outcome_and_taking_the_next(personas: Personas, client: Client) -> None:
    jur = personas.a.jurisdiction
    first, second = case_item(jur, days_ago=1), case_item(jur, days_ago=2)
    client.force_login(personas.a.tracer)
    client.post(reverse("queues:next"))
    response = client.post(
        reverse("queues:complete", args=[first.pk]),
        {"outcome": Outcome.COMPLETED, "note": "", "then": "next"},
    )
    assert response["Location"] == f"/cases/{second.case_id}/#work-item-{second.pk}"
    first.refresh_from_db()
    assert (first.state, first.outcome) == (State.DONE, Outcome.COMPLETED)
    assert first.completed_by == personas.a.tracer
    response = client.post(reverse("queues:release", args=[second.pk]))
    assert response["Location"] == reverse("queues:mine")
    second.refresh_from_db()
    assert second.state == State.OPEN
    assert ClaimLog.objects.get(item=second).ended == ClaimEnd.RELEASED
    assert AuditEvent.objects.filter(object_type="queues.workitem", reason="release").exists()


def test_a_bad_outcome_changes_nothing(personas: Personas, client: Client) -> None:
    item = case_item(personas.a.jurisdiction)
    client.force_login(personas.a.tracer)
    client.post(reverse("queues:next"))
    client.post(reverse("queues:complete", args=[item.pk]), {"outcome": "maybe"})
    item.refresh_from_db()
    assert item.state == State.CLAIMED


def test_the_heartbeat_keeps_the_claim(personas: Personas, client: Client) -> None:
    item = case_item(personas.a.jurisdiction)
    client.force_login(personas.a.tracer)
    client.post(reverse("queues:next"))
    assert client.post(reverse("queues:keep", args=[item.pk])).status_code == 204
    assert client.get(reverse("queues:keep", args=[item.pk])).status_code == 405
    services.release_item(item, personas.a.tracer)
    assert client.post(reverse("queues:keep", args=[item.pk])).status_code == 409


def test_the_item_page_shows_its_claims(personas: Personas, client: Client) -> None:
    item = case_item(personas.a.jurisdiction)
    services.next_item(personas.a.tracer)
    client.force_login(personas.a.tracer)
    body = client.get(reverse("queues:item", args=[item.pk])).content.decode()
    assert str(personas.a.tracer) in body
    assert reverse("queues:complete", args=[item.pk]) in body


@pytest.mark.parametrize("name", ["complete", "release", "keep"])
def test_an_outcome_reads_the_item_once_and_a_hidden_one_is_audited_as_denied(
    personas: Personas, client: Client, name: str
) -> None:
    """The item is looked up among those the user may change as it is locked:
    one read of it; another jurisdiction's item is a 404, audited as denied."""
    item = case_item(personas.a.jurisdiction)
    services.next_item(personas.a.tracer)
    url = reverse(f"queues:{name}", args=[item.pk])
    client.force_login(personas.b.tracer)
    assert client.post(url, {"outcome": Outcome.COMPLETED}).status_code == 404
    denied = AuditEvent.objects.filter(action="denied", object_id=str(item.pk))
    assert denied.get().object_type == "queues.workitem"
    item.refresh_from_db()
    assert item.state == State.CLAIMED  # nothing changed
    client.force_login(personas.a.tracer)
    with CaptureQueriesContext(connection) as captured:
        assert client.post(url, {"outcome": Outcome.COMPLETED}).status_code in (302, 204)
    reads = [
        q for q in captured if q["sql"].startswith("SELECT") and '"queues_workitem"' in q["sql"]
    ]
    assert len(reads) == 1, [q["sql"][:120] for q in reads]
    assert "FOR UPDATE" in reads[0]["sql"]


@pytest.mark.parametrize("name", ["item", "complete", "release", "keep"])
def test_another_jurisdictions_item_is_not_found(
    personas: Personas, client: Client, name: str
) -> None:
    item = case_item(personas.a.jurisdiction)
    services.next_item(personas.a.tracer)
    client.force_login(personas.b.tracer)
    url = reverse(f"queues:{name}", args=[item.pk])
    missing = reverse(f"queues:{name}", args=[item.pk + 1000])
    for method in METHODS:
        hidden = getattr(client, method)(url)
        assert hidden.status_code == 404, (method, url)
        absent = getattr(client, method)(missing)
        assert without_csrf_tokens(hidden.content) == without_csrf_tokens(absent.content)
    item.refresh_from_db()
    assert item.claimed_by == personas.a.tracer


def test_a_colleagues_held_item_cannot_be_completed(personas: Personas, client: Client) -> None:
    item = case_item(personas.a.jurisdiction)
    services.next_item(personas.a.tracer)
    client.force_login(tracer(personas.a.jurisdiction, "colleague"))
    response = client.post(
        reverse("queues:complete", args=[item.pk]), {"outcome": Outcome.COMPLETED}, follow=True
    )
    assert b"no longer yours" in response.content
    item.refresh_from_db()
    assert item.state == State.CLAIMED


def test_the_queue_is_not_a_page_for_referral_staff(personas: Personas, client: Client) -> None:
    coordinator = f.UserFactory.create(username="cbo")
    f.MembershipFactory.create(
        user=coordinator, jurisdiction=personas.a.jurisdiction, role="cbo_coordinator"
    )
    client.force_login(coordinator)
    assert client.get(reverse("queues:mine")).status_code == 404


def test_the_work_panel_shows_the_held_item_with_its_actions(personas: Personas) -> None:
    item = case_item(personas.a.jurisdiction)
    services.next_item(personas.a.tracer)
    request = RequestFactory().get("/")
    request.user = personas.a.tracer
    page = Template("{% load queues %}{% work_panel case=case %}").render(
        Context({"request": request, "case": item.case})
    )
    assert f'id="work-item-{item.pk}"' in page
    assert reverse("queues:complete", args=[item.pk]) in page
    request.user = personas.b.tracer  # another LHD's tracer sees nothing of it
    page = Template("{% load queues %}{% work_panel case=case %}").render(
        Context({"request": request, "case": item.case})
    )
    assert "work-item" not in page
    assert WorkItem.objects.count() == 1


def test_the_menu_entries_appear_once_and_only_for_who_has_them(personas: Personas) -> None:
    request = RequestFactory().get("/")
    request.user = personas.a.tracer
    menu = Template("{% load queues %}{% queue_nav %}{% queue_nav %}")
    page = menu.render(Context({"request": request}))
    assert page.count(reverse("queues:mine")) == 1  # the layout and the page may both ask
    assert reverse("queues:supervise") not in page  # a tracer supervises nobody
    request = RequestFactory().get("/")
    request.user = tracer(personas.a.jurisdiction, "boss", role="supervisor")
    assert reverse("queues:supervise") in menu.render(Context({"request": request}))


def test_the_work_panel_on_a_contacts_page(personas: Personas) -> None:
    exposure = personas.a.exposure
    item = services.open_item("notification", exposure=exposure, acting_user=personas.a.tracer)
    request = RequestFactory().get("/")
    request.user = personas.a.tracer
    page = Template("{% load queues %}{% work_panel person=person %}").render(
        Context({"request": request, "person": exposure.contact})
    )
    assert f'id="work-item-{item.pk}"' in page
    assert "Contact notification" in page
