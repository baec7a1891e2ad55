"""Transports: how a message leaves, one folder per provider.

A transport sends one message and, after a crash, says whether the provider
already has it. Each dispatcher thread holds its own transport objects (a
connection each: HTTP keep-alive, an open SMTP session), so they need not be
thread-safe. They never touch the database: the dispatcher gives them an
:class:`Outgoing` snapshot and records what they return.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "Accepted",
    "Ambiguous",
    "Outgoing",
    "Permanent",
    "SendError",
    "Transient",
    "Transport",
    "Unknowable",
    "transport_for",
]


@dataclass(frozen=True)
class Outgoing:
    """What a transport needs of one outbox row, for one attempt."""

    id: int
    key: str
    attempt: int
    channel: str
    address: str
    subject: str
    body: str
    payload: dict[str, Any]
    language: str = "en"
    # When this attempt's predecessor started: a lookup searches from here.
    since: dt.datetime | None = None
    # Provider ids other rows to the same address already hold (lookup excludes them).
    taken: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Accepted:
    provider_id: str
    status: str


class SendError(Exception):
    """The provider did not take the message."""

    def __init__(self, code: str, text: str, *, suppress: str = "") -> None:
        super().__init__(f"{code}: {text}")
        self.code = str(code)[:32]
        self.text = str(text)[:300]
        self.suppress = suppress  # a SuppressionReason when the address must be opted out


class Transient(SendError):
    """Surely not sent, and worth trying again later (network down, 30003, rate limit)."""


class Ambiguous(SendError):
    """Maybe sent (a timeout after the request left, a 5xx): look before trying again."""


class Permanent(SendError):
    """Never worth trying again (21610, an invalid number, a refused mailbox)."""


class Unknowable(Exception):
    """The provider cannot be asked whether it has a message (SMTP)."""


class Transport(Protocol):
    def send(self, message: Outgoing) -> Accepted: ...

    def lookup(self, message: Outgoing) -> Accepted | None:
        """The provider's record of this message if it has one; raises Unknowable."""
        ...

    def close(self) -> None: ...


def transport_for(channel: str) -> Transport:
    """A new transport for ``channel``, as configured (conf.transport_name)."""
    from epitrace.outreach.conf import transport_name

    name = transport_name(channel)
    if name == "console":
        from epitrace.outreach.transports.console.transport import ConsoleTransport

        return ConsoleTransport()
    if name == "twilio":
        from epitrace.outreach.transports.twilio.transport import TwilioTransport

        return TwilioTransport()
    if name == "smtp":
        from epitrace.outreach.transports.smtp.transport import SmtpTransport

        return SmtpTransport()
    from epitrace.outreach.transports.en.transport import ExposureNotificationTransport

    return ExposureNotificationTransport()
