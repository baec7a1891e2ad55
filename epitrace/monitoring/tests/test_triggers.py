"""A new case gets its self-interview link and EN code; a new contact its notice.

Sent for real: the outbox, the dispatcher, a fake Twilio, a real SMTP server
and a fake EN verification server on loopback.
"""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from epitrace.cases.models import Case
from epitrace.monitoring.triggers import on_cases_opened, on_exposures_added, on_new_cases
from epitrace.outreach.choices import Channel, Purpose, State, SuppressionReason
from epitrace.outreach.dispatcher.worker import Dispatcher
from epitrace.outreach.keys import request_uuid
from epitrace.outreach.models import OutboxMessage, Suppression
from epitrace.portal.links import open_link
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def providers(twilio: Any, smtp: Any, en_server: Any) -> tuple[Any, Any, Any]:
    return twilio, smtp, en_server


def _person(personas: Any, *, phone: str | None, email: str | None, **extra: Any) -> Any:
    person = f.PersonFactory.create(jurisdiction=personas.a.jurisdiction, **extra)
    if phone:
        f.ContactPointFactory.create(person=person, value=phone)
    if email:
        f.ContactPointFactory.create(person=person, kind="email", value=email)
    return person


def _token(body: str) -> str:
    return body.split("/p/")[1].split("/")[0].split()[0]


def test_a_new_adult_case_gets_links_and_an_en_code(
    personas: Any, providers: tuple[Any, Any, Any]
) -> None:
    twilio, smtp, en = providers
    adult = _person(
        personas,
        phone="+18605552001",
        email="ana@example.org",
        birth_date=dt.date(1980, 5, 1),
        preferred_language="es",
    )
    case = f.CaseFactory.create(person=adult, classification="probable")
    rows = on_cases_opened([case.pk])
    assert sorted((r.channel, r.purpose) for r in rows) == [
        (Channel.EMAIL, Purpose.SELF_INTERVIEW),
        (Channel.EN, Purpose.EN_VERIFICATION),
        (Channel.SMS, Purpose.SELF_INTERVIEW),
    ]
    Dispatcher(threads=2).run(once=True)
    sms = twilio.sent_to("+18605552001")
    assert len(sms) == 1
    link = open_link(_token(sms[0]["body"]))
    assert link is not None
    assert link.case_id == case.pk
    assert link.purpose == "self_interview"
    assert smtp.envelopes[0].rcpt_tos == ["ana@example.org"]
    en_row = OutboxMessage.objects.get(channel=Channel.EN)
    assert en_row.state == State.SENT
    assert en_row.provider_id == request_uuid(en_row.key)  # the server's answer, recorded
    sent = en[request_uuid(en_row.key)]
    assert sent["testType"] == "likely"
    assert sent["symptomDate"] == str(case.onset_date)
    assert "testDate" not in sent
    assert sent["phone"] == "+18605552001"
    assert sent["tzOffset"] in (-300, -240)
    # The same cases again (a re-run batch): nothing new.
    assert on_cases_opened([case.pk]) == []


def _in_hand(cases: list[Any]) -> list[OutboxMessage]:
    """The importer's way: cases it holds with their persons, read back by nobody."""
    held = list(Case.objects.filter(pk__in=[c.pk for c in cases]).select_related("person"))
    with CaptureQueriesContext(connection) as queries:
        rows = on_new_cases(held)
    assert not [q for q in queries if '"cases_case"' in q["sql"]]
    # The guardians not in hand, in one query.
    assert len([q for q in queries if q["sql"].startswith('SELECT "people_person"')]) == 1
    return rows


@pytest.mark.parametrize(
    "opened",
    [lambda cases: on_cases_opened([c.pk for c in cases]), _in_hand],
    ids=["by_id", "in_hand"],
)
def test_minors_deceased_and_opted_out(personas: Any, settings: Any, opened: Any) -> None:
    settings.EPITRACE_OUTREACH_WINDOW = "00:00-23:59"
    guardian = _person(personas, phone="+18605552002", email=None)
    minor = _person(
        personas,
        phone=None,
        email=None,
        guardian=guardian,
        birth_date=timezone.localdate() - dt.timedelta(days=3000),
    )
    dead = _person(personas, phone="+18605552003", email=None, deceased_date=timezone.localdate())
    opted = _person(
        personas, phone="+18605552004", email="out@example.org", birth_date=dt.date(1970, 1, 1)
    )
    Suppression.objects.create(
        address="+18605552004", channel=Channel.SMS, reason=SuppressionReason.STOP
    )
    cases = [f.CaseFactory.create(person=p) for p in (minor, dead, opted)]
    rows = opened(cases)
    got = sorted((r.person_id, r.channel, r.address) for r in rows)
    assert got == sorted(
        [
            (minor.pk, Channel.SMS, "+18605552002"),  # the guardian's phone, no EN code
            (opted.pk, Channel.EMAIL, "out@example.org"),  # no SMS, and no phone for EN
        ]
    )


def test_statements_do_not_grow_with_the_batch(personas: Any, settings: Any) -> None:
    settings.EPITRACE_OUTREACH_WINDOW = "00:00-23:59"

    def batch(size: int, start: int) -> int:
        cases = [
            f.CaseFactory.create(
                person=_person(
                    personas,
                    phone=f"+1860553{start + n:04d}",
                    email=f"p{start + n}@example.org",
                    birth_date=dt.date(1975, 1, 1),
                )
            )
            for n in range(size)
        ]
        with CaptureQueriesContext(connection) as queries:
            assert len(on_cases_opened([c.pk for c in cases])) == 3 * size
        return len(queries)

    # Sizes SQLite's bulk inserts take in one statement too (999 parameters each).
    assert batch(2, 0) == batch(6, 100)


def test_a_new_contact_gets_the_notice_with_the_end_date(
    personas: Any, providers: tuple[Any, Any, Any]
) -> None:
    twilio, smtp, _en = providers
    contact = _person(
        personas, phone="+18605552010", email="contacto@example.org", preferred_language="es"
    )
    exposure = f.ExposureFactory.create(contact=contact, monitoring_status="not_started")
    rows = on_exposures_added([exposure.pk])
    assert sorted(r.channel for r in rows) == [Channel.EMAIL, Channel.SMS]
    Dispatcher(threads=2).run(once=True)
    sms = twilio.sent_to("+18605552010")[0]["body"]
    link = open_link(_token(sms))
    assert link is not None
    assert link.exposure_id == exposure.pk
    assert link.purpose == "contact_notice"
    assert str(exposure.quarantine_end) not in sms
    mail = message_from_bytes(smtp.envelopes[0].content)
    part = mail.get_payload(0) if mail.is_multipart() else mail
    assert isinstance(part, Message)
    text = part.get_payload(decode=True)
    assert isinstance(text, bytes)
    assert exposure.quarantine_end is not None
    assert str(exposure.quarantine_end.year) in text.decode()
    assert on_exposures_added([exposure.pk]) == []
