"""The service API other parts call: open_item, items_for_case, notifications in bulk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from epitrace.audit.models import AuditEvent
from epitrace.cases.priority import recompute_priority
from epitrace.queues import services, sync
from epitrace.queues.choices import Kind, State
from epitrace.queues.models import WorkItem
from epitrace.queues.sync import open_notifications
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db


def test_open_item_is_idempotent_and_audited(personas: Personas) -> None:
    exposure = personas.a.exposure
    first = services.open_item(Kind.NOTIFICATION, exposure=exposure, acting_user=personas.a.tracer)
    again = services.open_item(Kind.NOTIFICATION, exposure=exposure)
    assert first.pk == again.pk
    assert first.jurisdiction_id == exposure.jurisdiction_id  # the contact's residence
    assert first.language == exposure.contact.preferred_language
    created = AuditEvent.objects.get(object_type="queues.workitem", action="create")
    assert (created.actor_id, created.person_id) == (personas.a.tracer.pk, exposure.contact_id)


def test_a_callback_waits_for_its_time_and_comes_first_then(personas: Personas) -> None:
    case = personas.a.case
    recompute_priority([case.pk])
    at = timezone.now() + dt.timedelta(hours=3)
    callback = services.open_item(Kind.CALLBACK, case=case, due=at, note="after work")
    assert (callback.available_at, callback.due_at) == (at, at)
    investigation = case.work_items.get(kind=Kind.INVESTIGATION)
    assert callback.priority > investigation.priority  # once due, before everything else
    user = personas.a.tracer
    got = services.next_item(user)
    assert got is not None
    assert got.pk == investigation.pk  # the callback is not offered before its time
    later = at + dt.timedelta(hours=1)
    moved = services.open_item(Kind.CALLBACK, case=case, due=later)
    assert moved.pk == callback.pk
    assert moved.available_at == later  # asking again moves the agreed time


def test_bad_requests_are_refused_clearly(personas: Personas) -> None:
    case, exposure = personas.a.case, personas.a.exposure
    with pytest.raises(ValueError, match="unknown work item kind"):
        services.open_item("visit", case=case)
    with pytest.raises(ValueError, match="exactly one"):
        services.open_item(Kind.CALLBACK, case=case, exposure=exposure)
    with pytest.raises(ValueError, match="needs an exposure"):
        services.open_item(Kind.MONITORING, case=case)
    with pytest.raises(ValueError, match="aware"):
        services.open_item(Kind.CALLBACK, case=case, due=dt.datetime(2026, 1, 1, 9))
    other_team = f.TeamFactory.create(jurisdiction=personas.b.jurisdiction)
    with pytest.raises(ValueError, match="does not work"):
        services.open_item(Kind.CALLBACK, case=case, team=other_team)


def test_items_for_case_lists_the_case_and_its_contacts(personas: Personas) -> None:
    case = personas.a.case
    recompute_priority([case.pk])
    notification = services.open_item(Kind.NOTIFICATION, exposure=personas.a.exposure)
    listed = list(services.items_for_case(case))
    assert {i.kind for i in listed} == {Kind.INVESTIGATION, Kind.NOTIFICATION}
    assert notification in listed
    assert not services.items_for_case(personas.b.case).exists()  # another case's: none


def test_notifications_in_bulk_for_contacts_not_yet_reached(personas: Personas) -> None:
    case = personas.a.case
    reached = f.ExposureFactory.create(case=case, monitoring_status="monitoring")
    waiting = [
        f.ExposureFactory.create(case=case, monitoring_status="not_started") for _ in range(3)
    ]
    made = open_notifications([e.pk for e in [reached, *waiting]])
    assert made == 3
    assert open_notifications([e.pk for e in waiting]) == 0  # already waiting
    items = list(services.items_for_case(case))
    assert {i.exposure_id for i in items} == {e.pk for e in waiting}
    assert {(i.kind, i.state) for i in items} == {(Kind.NOTIFICATION, State.OPEN)}
    # A contact of a closed case is not notified.
    case.status, case.closed_at = "closed", timezone.now()
    case.save(update_fields=["status", "closed_at"])
    late = f.ExposureFactory.create(case=case, monitoring_status="not_started")
    assert open_notifications([late.pk]) == 0


def test_a_notification_opened_meanwhile_by_another_caller_stands(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = personas.a.case
    waiting = [
        f.ExposureFactory.create(case=case, monitoring_status="not_started") for _ in range(2)
    ]
    theirs: list[int] = []
    real_insert = sync.insert

    def racing_insert(rows: list[WorkItem], **options: bool) -> None:
        # Another caller opens the first contact's item after this one checked.
        theirs.append(services.open_item(Kind.NOTIFICATION, exposure=waiting[0]).pk)
        real_insert(rows, **options)

    monkeypatch.setattr(sync, "insert", racing_insert)
    open_notifications([e.pk for e in waiting])
    items = WorkItem.objects.filter(exposure__in=waiting, kind=Kind.NOTIFICATION)
    assert sorted(items.values_list("exposure_id", flat=True)) == sorted(e.pk for e in waiting)
    assert items.get(exposure=waiting[0]).pk == theirs[0]
