"""The same Twilio transport on asyncio: Twilio's official client with its aiohttp client.

A dispatcher sending thousands of texts a second spends most of its time in
the HTTP client; Twilio's asynchronous client (``create_async``, aiohttp)
needs about a third of the CPU per message that its ``requests`` client
does, and many requests are in flight from one thread. The dispatcher uses
it for SMS whenever no HTTP proxy stands between us and Twilio (the
synchronous client honours the environment's proxy settings; this one does
not), and falls back to the thread pool otherwise.

Every call is bounded by the request timeout: Twilio's aiohttp client sets
none of its own, and a request that could outlive the worker's lease could
end after another worker had taken the row back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from django.conf import settings
from requests.utils import get_environ_proxies
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from epitrace.outreach import conf
from epitrace.outreach.transports import Accepted, Ambiguous, Outgoing, Transient
from epitrace.outreach.transports.twilio import errors
from epitrace.outreach.transports.twilio.client import sender
from epitrace.outreach.transports.twilio.transport import CLOCK_SKEW, LOOKUP_LIMIT, status_callback

_quiet = logging.getLogger("epitrace.outreach.twilio.aio")
_quiet.setLevel(logging.WARNING)


def usable() -> bool:
    """True when Twilio is reached directly (no proxy from the environment for its host)."""
    return not get_environ_proxies(str(settings.TWILIO_API_BASE_URL))


class AsyncTwilioTransport:
    """Create inside the event loop that will use it (aiohttp's session belongs to one loop)."""

    def __init__(self) -> None:
        self.http = AsyncTwilioHttpClient(logger=_quiet)
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=self.http,
            environment={},
        )
        self.client.api.base_url = str(settings.TWILIO_API_BASE_URL).rstrip("/")
        self.sender = sender()
        self.timeout = conf.request_timeout()

    async def send(self, message: Outgoing) -> Accepted:
        created = await self._bounded(
            self.client.messages.create_async(
                to=message.address,
                from_=self.sender,
                body=message.body,
                status_callback=status_callback(message),
            )
        )
        return Accepted(str(created.sid), str(created.status or "queued"))

    async def lookup(self, message: Outgoing) -> Accepted | None:
        found = await self._bounded(
            self.client.messages.list_async(
                to=message.address, from_=self.sender, limit=LOOKUP_LIMIT
            )
        )
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

    async def _bounded(self, call: Awaitable[Any]) -> Any:
        try:
            return await asyncio.wait_for(call, self.timeout)
        except TwilioRestException as error:
            raise errors.from_rest_error(error) from error
        except aiohttp.ClientConnectorError as error:
            raise Transient("network", f"{type(error).__name__}: could not connect") from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            # Cancelled or cut after the request may have left: look before resending.
            raise Ambiguous("network", f"{type(error).__name__}: no answer") from error

    async def close(self) -> None:
        await self.http.close()
