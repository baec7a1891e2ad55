"""Non-responders become queue items; monitoring ends with one closing message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from epitrace.contacts.models import Exposure
from epitrace.monitoring.jobs import close_ended_monitoring, open_nonresponder_items
from epitrace.monitoring.services import do_record_checkin
from epitrace.outreach.choices import Purpose
from epitrace.outreach.models import OutboxMessage
from epitrace.queues.choices import Kind
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db


def _contact(personas: Any, days_ago: int, *, enrolled_hours_ago: int = 48) -> Exposure:
    person = f.PersonFactory.create(jurisdiction=personas.a.jurisdiction)
    f.ContactPointFactory.create(person=person)
    exposure = f.ExposureFactory.create(
        contact=person,
        case__person__jurisdiction=personas.a.jurisdiction,
        last_exposure_date=timezone.localdate() - dt.timedelta(days=days_ago),
    )
    created = timezone.now() - dt.timedelta(hours=enrolled_hours_ago)
    Exposure.objects.filter(pk=exposure.pk).update(created_at=created)
    return exposure


def test_silent_monitorees_get_one_followup_each(personas: Any) -> None:
    silent = _contact(personas, 3)
    answered = _contact(personas, 3)
    new = _contact(personas, 1, enrolled_hours_ago=2)
    do_record_checkin(
        person=answered.contact, day=timezone.localdate(), symptomatic=False, channel="sms"
    )
    case = f.CaseFactory.create(person__jurisdiction=personas.a.jurisdiction)
    type(case).objects.filter(pk=case.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    result = open_nonresponder_items()
    assert (result.exposures, result.cases) == (1, 1)
    items = WorkItem.objects.filter(kind=Kind.MONITORING)
    assert list(items.values_list("exposure_id", flat=True)) == [silent.pk]
    assert WorkItem.objects.filter(kind=Kind.CALLBACK, case=case).count() == 1
    assert not items.filter(exposure__in=[answered, new]).exists()
    # A rerun opens nothing more.
    assert open_nonresponder_items().exposures == 0
    assert WorkItem.objects.filter(kind=Kind.MONITORING).count() == 1


def test_monitoring_ends_once_with_one_closing_message(personas: Any, settings: Any) -> None:
    settings.EPITRACE_OUTREACH_WINDOW = "00:00-23:59"
    over = _contact(personas, 40)
    running = _contact(personas, 3)
    sick = _contact(personas, 40)
    do_record_checkin(
        person=sick.contact,
        day=timezone.localdate() - dt.timedelta(days=30),
        symptomatic=True,
        channel="sms",
    )
    result = close_ended_monitoring()
    assert (result.exposures, result.messages) == (1, 1)
    over.refresh_from_db()
    running.refresh_from_db()
    sick.refresh_from_db()
    assert over.monitoring_status == "completed"
    assert running.monitoring_status == sick.monitoring_status == "monitoring"
    closing = OutboxMessage.objects.get(purpose=Purpose.CLOSING)
    assert closing.person_id == over.contact_id
    assert close_ended_monitoring().messages == 0
    assert OutboxMessage.objects.filter(purpose=Purpose.CLOSING).count() == 1
