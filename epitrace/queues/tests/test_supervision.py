"""Supervisors: workload, bulk reassign and handover, audited, scoped to their subtree."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from epitrace.accounts.models import User
from epitrace.audit.models import AuditEvent
from epitrace.cases.priority import recompute_priority
from epitrace.queues import services
from epitrace.queues.choices import ClaimEnd, Outcome, State
from epitrace.queues.models import ClaimLog, QueueHandover, WorkItem
from epitrace.queues.tests.helpers import case_item, fresh, tracer
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db


def supervisor(personas: Personas, side: str = "a") -> User:
    jur = getattr(personas, side).jurisdiction
    return tracer(jur, f"supervisor.{side}", role="supervisor")


def reassign(client: Client, items: list[WorkItem], *, follow: bool = False, **data: object) -> Any:
    body = {"items": [i.pk for i in items], "reason": "", **data}
    return client.post(reverse("queues:reassign"), body, follow=follow)


def item_events(item: WorkItem) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="queues.workitem", object_id=str(item.pk)))


def test_supervision_pages_are_not_found_for_tracers(personas: Personas, client: Client) -> None:
    client.force_login(personas.a.tracer)
    for name in ("supervise", "supervise_items"):
        assert client.get(reverse(f"queues:{name}")).status_code == 404
    item = case_item(personas.a.jurisdiction)
    assert reassign(client, [item], target="state").status_code == 404
    url = reverse("queues:hand_over", args=[personas.a.jurisdiction.pk])
    assert client.post(url, {"reason": "too many cases"}).status_code == 404
    assert not QueueHandover.objects.exists()


def test_the_dashboard_shows_workload(personas: Personas, client: Client) -> None:
    jur = personas.a.jurisdiction
    team = f.TeamFactory.create(jurisdiction=jur, name="Spanish line")
    worker = tracer(jur, "worker", team=team)
    for _ in range(3):
        case_item(jur)
    done = services.next_item(worker)
    assert done is not None
    services.complete_item(done, worker, Outcome.COMPLETED)
    services.next_item(worker)
    case_item(personas.b.jurisdiction)  # another LHD's: not in this supervisor's figures
    client.force_login(supervisor(personas))
    response = client.get(reverse("queues:supervise"))
    body = response.content.decode()
    assert response.status_code == 200
    queues = {row.jurisdiction: row for row in response.context["queues"]}
    assert set(queues) == {jur}
    assert (queues[jur].waiting, queues[jur].claimed) == (1, 1)
    tracers = {row.user.username: row for row in response.context["tracers"]}
    assert (tracers["worker"].claimed, tracers["worker"].done_today) == (1, 1)
    teams = {row.team.name: row for row in response.context["teams"]}
    assert (teams["Spanish line"].members, teams["Spanish line"].done_today) == (1, 1)
    assert "Spanish line" in body


def test_reassign_to_a_tracer_ends_the_claim_and_is_audited(
    personas: Personas, client: Client
) -> None:
    jur = personas.a.jurisdiction
    held, waiting = case_item(jur, days_ago=1), case_item(jur, days_ago=2)
    services.next_item(personas.a.tracer)
    colleague = tracer(jur, "colleague")
    boss = supervisor(personas)
    client.force_login(boss)
    response = reassign(client, [held, waiting], target="tracer", tracer=colleague.pk)
    assert response.status_code == 302
    for item in (held, waiting):
        item.refresh_from_db()
        assert (item.state, item.assignee, item.claimed_by) == (State.OPEN, colleague, None)
        events = item_events(item)
        assert any(e.actor_id == boss.pk and "reassign" in e.reason for e in events)
    assert ClaimLog.objects.get(item=held).ended == ClaimEnd.REASSIGNED
    got = services.next_item(fresh(colleague))
    assert got is not None
    assert got.pk == held.pk
    assert services.next_item(fresh(personas.a.tracer)) is None  # both are the colleague's


def test_reassign_to_a_team_and_to_the_state_pool(personas: Personas, client: Client) -> None:
    jur = personas.a.jurisdiction
    team = f.TeamFactory.create(jurisdiction=jur)
    to_team, to_state = case_item(jur), case_item(jur)
    client.force_login(supervisor(personas))
    reassign(client, [to_team], target="team", team=team.pk)
    reassign(client, [to_state], target="state")
    to_team.refresh_from_db()
    to_state.refresh_from_db()
    assert (to_team.team, to_team.queue) == (team, jur)
    assert (to_state.queue, to_state.jurisdiction) == (personas.state, jur)
    assert len(item_events(to_team)) == len(item_events(to_state)) == 1
    state_tracer = tracer(personas.state, "state.tracer")
    got = services.next_item(state_tracer)
    assert got is not None
    assert got.pk == to_state.pk


def test_reassigning_another_lhds_item_is_not_found(personas: Personas, client: Client) -> None:
    mine, theirs = case_item(personas.b.jurisdiction), case_item(personas.a.jurisdiction)
    client.force_login(supervisor(personas, "b"))
    assert reassign(client, [mine, theirs], target="state").status_code == 404
    for item in (mine, theirs):
        item.refresh_from_db()
        assert item.queue == item.jurisdiction  # nothing moved, not even the own item
    assert not AuditEvent.objects.filter(object_type="queues.workitem").exists()


def test_a_tracer_who_cannot_see_the_items_cannot_receive_them(
    personas: Personas, client: Client
) -> None:
    item = case_item(personas.a.jurisdiction)
    state_boss = tracer(personas.state, "state.supervisor", role="supervisor")
    client.force_login(state_boss)
    response = reassign(client, [item], target="tracer", tracer=personas.b.tracer.pk, follow=True)
    assert b"cannot work all of these items" in response.content
    item.refresh_from_db()
    assert item.assignee is None


def test_handover_to_the_state_and_back(personas: Personas, client: Client) -> None:
    jur = personas.a.jurisdiction
    waiting, held = case_item(jur, days_ago=1), case_item(jur, days_ago=2)
    services.next_item(personas.a.tracer)
    services.next_item(personas.a.tracer)
    services.release_item(waiting, personas.a.tracer)
    boss = supervisor(personas)
    client.force_login(boss)
    url = reverse("queues:hand_over", args=[jur.pk])
    assert client.post(url, {"reason": "outbreak at a nursing home"}).status_code == 302
    handover = QueueHandover.objects.get(jurisdiction=jur, ended_at__isnull=True)
    for item in (waiting, held):
        item.refresh_from_db()
        assert (item.queue, item.jurisdiction) == (personas.state, jur)
    held.refresh_from_db()
    assert held.claimed_by == personas.a.tracer  # work in hand is finished where it is
    # New cases of the LHD go to the state's queue while it is handed over.
    newcomer = case_item(jur)
    assert newcomer.queue == personas.state
    state_tracer = tracer(personas.state, "state.tracer")
    assert services.next_item(fresh(personas.a.tracer)) is None
    assert services.next_item(state_tracer) is not None
    # Audited: the handover itself, and each moved item.
    assert AuditEvent.objects.filter(
        object_type="queues.queuehandover", object_id=str(handover.pk), actor_id=boss.pk
    ).exists()
    assert any("queue moved" in e.reason for e in item_events(waiting))
    # And back.
    end = reverse("queues:hand_back", args=[jur.pk])
    assert client.post(end).status_code == 302
    handover.refresh_from_db()
    assert handover.ended_by == boss
    newcomer.refresh_from_db()
    held.refresh_from_db()
    assert newcomer.queue == held.queue == jur
    assert newcomer.case_id is not None
    recompute_priority([newcomer.case_id])  # a later re-score does not move it again
    newcomer.refresh_from_db()
    assert newcomer.queue == jur


def test_handover_of_another_lhd_is_not_found(personas: Personas, client: Client) -> None:
    client.force_login(supervisor(personas, "b"))
    url = reverse("queues:hand_over", args=[personas.a.jurisdiction.pk])
    for method in ("get", "post", "delete"):
        assert getattr(client, method)(url, {"reason": "take it"}).status_code == 404
    end = reverse("queues:hand_back", args=[personas.a.jurisdiction.pk])
    assert client.post(end).status_code == 404
    assert not QueueHandover.objects.exists()


def test_the_item_list_filters_and_pages(personas: Personas, client: Client) -> None:
    jur = personas.a.jurisdiction
    spanish = case_item(jur, language="es")
    case_item(jur, language="en")
    client.force_login(supervisor(personas))
    response = client.get(reverse("queues:supervise_items"), {"language": "es"})
    assert list(response.context["page"].object_list) == [spanish]
    body = response.content.decode()
    assert f'name="items" value="{spanish.pk}"' in body
