"""SMS through Twilio's Messages API: create, and after a crash, list to look.

The outbox key and the attempt travel in the status-callback URL, so a
delivery receipt finds its row even when the worker died before recording
the message's sid. A row left "sending" is looked up by listing the
messages to that number from our number since the attempt began: one with
the same body that no other row has claimed is ours.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from requests import exceptions as http_errors
from twilio.base.exceptions import TwilioRestException

from epitrace.outreach import conf
from epitrace.outreach.transports import Accepted, Outgoing
from epitrace.outreach.transports.twilio import errors
from epitrace.outreach.transports.twilio.client import make_client, sender

LOOKUP_LIMIT = 50  # messages to one number since the attempt: a household, a few days
CLOCK_SKEW = dt.timedelta(minutes=2)


def status_callback(message: Outgoing) -> str:
    query = urlencode({"key": message.key, "attempt": message.attempt})
    return conf.public_url(f"/outreach/twilio/status/?{query}")


class TwilioTransport:
    def __init__(self) -> None:
        self.client = make_client()
        self.sender = sender()

    def send(self, message: Outgoing) -> Accepted:
        try:
            created = self.client.messages.create(
                to=message.address,
                from_=self.sender,
                body=message.body,
                status_callback=status_callback(message),
            )
        except TwilioRestException as error:
            raise errors.from_rest_error(error) from error
        except http_errors.RequestException as error:
            raise errors.from_network_error(error) from error
        return Accepted(str(created.sid), str(created.status or "queued"))

    def lookup(self, message: Outgoing) -> Accepted | None:
        try:
            found = self.client.messages.list(
                to=message.address, from_=self.sender, limit=LOOKUP_LIMIT
            )
        except TwilioRestException as error:
            raise errors.from_rest_error(error) from error
        except http_errors.RequestException as error:
            raise errors.from_network_error(error) from error
        since = (message.since or dt.datetime.min.replace(tzinfo=dt.UTC)) - CLOCK_SKEW
        ours = [
            m
            for m in found
            if m.body == message.body
            and m.sid not in message.taken
            and (m.date_created is None or m.date_created >= since)
        ]
        if not ours:
            return None
        first = min(ours, key=lambda m: (m.date_created or since, m.sid))
        return Accepted(str(first.sid), str(first.status or "sent"))

    def close(self) -> None:
        session = getattr(self.client.http_client, "session", None)
        if session is not None:
            session.close()
