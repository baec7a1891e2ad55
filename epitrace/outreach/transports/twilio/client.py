"""Twilio's official client, pointed at the configured API and kept quiet.

One client per dispatcher thread: its ``requests`` session keeps the
connection to Twilio open between messages (HTTP keep-alive). The API base
is a setting (``TWILIO_API_BASE_URL``) so tests and the benchmark run the
real client against a local server. Twilio's HTTP logger prints request
URLs, which carry phone numbers when listing messages: ours logs warnings
only.
"""

from __future__ import annotations

import logging

from django.conf import settings
from requests.utils import get_environ_proxies
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from epitrace.outreach import conf

_quiet = logging.getLogger("epitrace.outreach.twilio.http")
_quiet.setLevel(logging.WARNING)


def make_client() -> Client:
    base = str(settings.TWILIO_API_BASE_URL).rstrip("/")
    # Proxies from the environment (HTTPS_PROXY, NO_PROXY), worked out once for
    # the one host we call rather than on every request: requests would scan
    # the whole environment twice per message.
    http = TwilioHttpClient(
        timeout=conf.request_timeout(), logger=_quiet, proxy=get_environ_proxies(base)
    )
    if http.session is not None:
        http.session.trust_env = False
    client = Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=http,
        # Never read TWILIO_* region or edge from the environment behind our back.
        environment={},
    )
    client.api.base_url = base
    return client


def sender() -> str:
    return str(settings.TWILIO_FROM_NUMBER)
