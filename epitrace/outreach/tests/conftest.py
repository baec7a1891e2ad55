"""Fixtures: a local Twilio, a local SMTP server, monitorees with phones."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from epitrace.outreach.tests.fakes.en_server import API_KEY as EN_API_KEY
from epitrace.outreach.tests.fakes.en_server import RunningEnServer
from epitrace.outreach.tests.fakes.twilio_api import FakeTwilio, Running
from epitrace.people.models import Person
from epitrace.testing import factories as f

SID = "AC" + "0" * 32
HERE = Path(__file__).resolve().parent
# Twilio's asynchronous client calls aiohttp in ways aiohttp now deprecates:
# not ours to fix, and only noise in these tests' output.
TWILIO_AIOHTTP_WARNINGS = (
    "ignore:BasicAuth is deprecated:DeprecationWarning",
    "ignore:The 'auth' parameter is deprecated:DeprecationWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.filterwarnings(*TWILIO_AIOHTTP_WARNINGS))


TOKEN = "test-auth-token"
FROM = "+18605550000"


@pytest.fixture
def twilio(settings: Any) -> Iterator[FakeTwilio]:
    """The SMS transport set to Twilio's client, talking to a fake Twilio on loopback."""
    fake = FakeTwilio(SID, TOKEN)
    running = Running(fake)
    settings.EPITRACE_SMS_TRANSPORT = "twilio"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM_NUMBER = FROM
    settings.TWILIO_API_BASE_URL = running.url
    settings.EPITRACE_PUBLIC_URL = "https://epitrace.example.org"
    settings.EPITRACE_OUTREACH_WINDOW = "00:00-23:59"
    settings.EPITRACE_OUTREACH_RETRY_SECONDS = 60
    settings.EPITRACE_OUTREACH_MAX_ATTEMPTS = 3
    yield fake
    running.stop()


class Mailbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on loopback, and Django's SMTP backend pointed at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EPITRACE_EMAIL_TRANSPORT = "smtp"
    settings.EPITRACE_OUTREACH_WINDOW = "00:00-23:59"
    yield mailbox
    controller.stop()


@pytest.fixture
def en_server(settings: Any) -> Iterator[dict[str, dict[str, Any]]]:
    """A local EN verification server; yields the requests it accepted, by uuid."""
    running = RunningEnServer()
    settings.EPITRACE_EN_TRANSPORT = "server"
    settings.EPITRACE_EN_SERVER_URL = running.url
    settings.EPITRACE_EN_API_KEY = EN_API_KEY
    settings.EPITRACE_OUTREACH_WINDOW = "00:00-23:59"
    yield running.issued
    running.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def monitoree(jurisdiction: Any, phone: str, **extra: Any) -> Person:
    """A contact in quarantine today, with ``phone``."""
    person = f.PersonFactory.create(jurisdiction=jurisdiction, **extra)
    f.ContactPointFactory.create(person=person, value=phone)
    f.ExposureFactory.create(contact=person, case__person__jurisdiction=jurisdiction)
    return person


def at(hour: int, minute: int = 0, zone: str = "America/New_York") -> dt.datetime:
    """Today at this local time, as an aware datetime."""
    import zoneinfo

    tz = zoneinfo.ZoneInfo(zone)
    return dt.datetime.now(tz).replace(hour=hour, minute=minute, second=0, microsecond=0)


__all__ = ["FROM", "SID", "TOKEN", "Mailbox", "at", "monitoree", "override_settings"]
