"""The daily check-in: a head of household answers for the household."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from epitrace.contacts.choices import MonitoringStatus, Relation, Setting
from epitrace.outreach.models import CheckInAnswer
from epitrace.portal.choices import LinkPurpose
from epitrace.portal.links import issue_link
from epitrace.portal.tests.conftest import World, token_of
from epitrace.queues.choices import Kind
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db


def test_a_parent_answers_for_the_household_and_a_symptomatic_child_is_queued(
    world: World, portal: Client
) -> None:
    case = world.case
    parent = case.person
    child = f.PersonFactory.create(
        jurisdiction=parent.jurisdiction,
        given_name="Ines",
        guardian=parent,
        birth_date=dt.date(2012, 3, 4),
    )
    partner = f.PersonFactory.create(jurisdiction=parent.jurisdiction, given_name="Tomas")
    for member in (child, partner):
        f.ExposureFactory.create(
            case=case,
            contact=member,
            jurisdiction=parent.jurisdiction,
            relation=Relation.HOUSEHOLD,
            setting=Setting.HOUSEHOLD,
            monitoring_status=MonitoringStatus.MONITORING,
        )
    link = issue_link(person=parent, purpose=LinkPurpose.CHECKIN, case=case)
    assert portal.get(f"/p/{token_of(link)}/")["Location"] == "/p/checkin/"
    form = portal.get("/p/checkin/")
    content = form.content.decode()
    assert "¿Cómo se siente hoy?" in content
    assert "¿Cómo se siente Ines hoy?" in content
    assert "¿Cómo se siente Tomas hoy?" in content
    answers = {
        "feeling-0": "well",
        "feeling-1": "unwell",
        "symptoms-1": ["fever", "cough"],
        "feeling-2": "well",
    }
    names = [p.given_name for p in form.context["form"].people]
    assert names == ["Rosa", "Ines", "Tomas"]
    done = portal.post("/p/checkin/", answers, follow=True)
    assert b"Hemos registrado la respuesta de hoy" in done.content
    rows = {a.person_id: a for a in CheckInAnswer.objects.all()}
    assert rows[parent.pk].symptomatic is False
    assert rows[parent.pk].reporter is None
    assert rows[child.pk].symptomatic is True
    assert rows[child.pk].symptoms == ["fever", "cough"]
    assert rows[child.pk].reporter == parent
    assert rows[partner.pk].channel == "portal"
    assert WorkItem.objects.filter(kind=Kind.MONITORING, exposure__contact=child).exists()
    assert not WorkItem.objects.filter(kind=Kind.MONITORING, exposure__contact=partner).exists()


def test_a_missing_answer_is_pointed_at(world: World, portal: Client) -> None:
    link = issue_link(person=world.case.person, purpose=LinkPurpose.CHECKIN, case=world.case)
    portal.get(f"/p/{token_of(link)}/", follow=True)
    response = portal.post("/p/checkin/", {})
    assert response.status_code == 400
    assert 'href="#f-feeling-0_0"' in response.content.decode()
    assert not CheckInAnswer.objects.exists()


def test_a_contact_notice_shows_the_quarantine_end(world: World, portal: Client) -> None:
    contact = f.PersonFactory.create(jurisdiction=world.case.jurisdiction, preferred_language="es")
    exposure = f.ExposureFactory.create(
        case=world.case,
        contact=contact,
        jurisdiction=world.case.jurisdiction,
        last_exposure_date=dt.date(2020, 12, 6),
        quarantine_end=dt.date(2020, 12, 20),
        monitoring_status=MonitoringStatus.MONITORING,
    )
    link = issue_link(person=contact, purpose=LinkPurpose.CONTACT_NOTICE, exposure=exposure)
    page = portal.get(f"/p/{token_of(link)}/", follow=True)
    assert b"20 de diciembre de 2020" in page.content
    assert "¿Cómo se siente hoy?".encode() in page.content
