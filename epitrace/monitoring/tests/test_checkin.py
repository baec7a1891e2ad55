"""do_record_checkin: one path for every channel, audited, symptomatic answers queue work."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from epitrace.audit.models import AuditEvent
from epitrace.monitoring.services import CheckInError, do_record_checkin
from epitrace.queues.choices import Kind, State
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db


def _contact(personas: Any) -> Any:
    person = f.PersonFactory.create(jurisdiction=personas.a.jurisdiction)
    f.ExposureFactory.create(contact=person, case__person__jurisdiction=personas.a.jurisdiction)
    return person


def test_a_well_answer_is_recorded_and_audited_and_opens_nothing(personas: Any) -> None:
    person = _contact(personas)
    today = timezone.localdate()
    answer = do_record_checkin(person=person, day=today, symptomatic=False, channel="portal")
    assert (answer.person_id, answer.day, answer.symptomatic, answer.symptoms) == (
        person.pk,
        today,
        False,
        [],
    )
    event = AuditEvent.objects.filter(
        object_type="outreach.checkinanswer", object_id=str(answer.pk)
    ).get()
    assert event.person_id == person.pk
    assert not WorkItem.objects.filter(kind=Kind.MONITORING).exists()


def test_symptoms_make_the_answer_symptomatic_and_open_one_followup(personas: Any) -> None:
    person = _contact(personas)
    guardian = f.PersonFactory.create(jurisdiction=personas.a.jurisdiction)
    today = timezone.localdate()
    first = do_record_checkin(
        person=person,
        day=today,
        symptomatic=False,
        symptoms=["Fever", "cough", "fever"],
        channel="portal",
        reporter=guardian,
    )
    assert first.symptomatic
    assert first.symptoms == ["fever", "cough"]
    assert first.reporter_id == guardian.pk
    do_record_checkin(person=person, day=today, symptomatic=True, channel="sms")
    items = WorkItem.objects.filter(kind=Kind.MONITORING, exposure__contact=person)
    assert items.count() == 1
    item = items.get()
    assert item.state == State.OPEN
    assert item.jurisdiction_id == person.jurisdiction_id


def test_a_case_in_isolation_with_symptoms_opens_no_work(personas: Any) -> None:
    case = f.CaseFactory.create(person__jurisdiction=personas.a.jurisdiction)
    do_record_checkin(
        person=case.person, day=timezone.localdate(), symptomatic=True, channel="portal"
    )
    assert not WorkItem.objects.filter(kind=Kind.MONITORING).exists()


def test_refused_answers(personas: Any) -> None:
    person = _contact(personas)
    today = timezone.localdate()
    with pytest.raises(CheckInError):
        do_record_checkin(person=person, day=today, symptomatic=False, channel="pigeon")
    person.deceased_date = today - dt.timedelta(days=1)
    person.save(update_fields=["deceased_date"])
    with pytest.raises(CheckInError):
        do_record_checkin(person=person, day=today, symptomatic=False, channel="sms")


def test_a_new_contact_window_moves_the_queued_messages(personas: Any, settings: Any) -> None:
    import zoneinfo

    from epitrace.monitoring.services import do_set_contact_window
    from epitrace.outreach.services import enqueue

    settings.EPITRACE_OUTREACH_WINDOW = "08:00-20:00"
    person = _contact(personas)
    row = enqueue("sms", "daily_checkin", person=person, address="+18605554321")
    do_set_contact_window(person, "evening", acting_user=personas.a.tracer)
    row.refresh_from_db()
    person.refresh_from_db()
    assert person.contact_window == row.send_window == "evening"
    local = row.next_attempt_at.astimezone(zoneinfo.ZoneInfo(person.time_zone))
    assert 16 <= local.hour < 20
    assert AuditEvent.objects.filter(object_type="people.person", object_id=str(person.pk)).exists()
    with pytest.raises(CheckInError):
        do_set_contact_window(person, "midnight", acting_user=personas.a.tracer)
