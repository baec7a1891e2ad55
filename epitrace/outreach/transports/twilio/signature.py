"""Twilio's request signature (X-Twilio-Signature), checked on every webhook.

The URL signed is the one Twilio called: our public base URL plus the path
and query, not what a proxy in front of us passed on.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from epitrace.outreach import conf


def valid(request: HttpRequest) -> bool:
    token = str(settings.TWILIO_AUTH_TOKEN)
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = conf.public_url(request.get_full_path())
    params = {key: request.POST.get(key, "") for key in request.POST}
    return bool(RequestValidator(token).validate(url, params, signature))


def sign(url: str, params: dict[str, str]) -> str:
    """The signature Twilio would send (for tests and local tools)."""
    return str(RequestValidator(str(settings.TWILIO_AUTH_TOKEN)).compute_signature(url, params))
