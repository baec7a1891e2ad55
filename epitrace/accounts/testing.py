"""Signing staff in, in tests, the way the MFA middleware expects.

``client.force_login(user)`` alone makes a session that never passed a second
factor, and every staff page then redirects to enrolment. Tests about
something else sign in with :func:`force_login_with_mfa` (or use
:class:`StaffClient`); tests about signing in go through the real forms and
use :func:`enrol_totp_for` and :func:`totp_code` to play the phone.
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.http import HttpRequest
from django.test import Client

from epitrace.accounts.mfa import enrol_totp, totp_code

__all__ = ["StaffClient", "enrol_totp_for", "force_login_with_mfa", "totp_code"]


def enrol_totp_for(user: Any) -> str:
    """Give ``user`` an authenticator app; returns its secret (for :func:`totp_code`)."""
    secret = generate_totp_secret()
    enrol_totp(user, secret)
    return secret


def force_login_with_mfa(client: Client, user: Any, backend: str | None = None) -> None:
    """Sign ``user`` in as if they had passed their password and a second factor.

    The second factor counts as just confirmed (allauth's reauthentication
    window), so pages behind allauth's "confirm it is you" step answer directly.
    """
    Client.force_login(client, user, backend)
    session = client.session
    request = HttpRequest()
    request.session = session
    record_authentication(request, user, "password", username=user.get_username())
    record_authentication(request, user, "mfa", type=Authenticator.Type.TOTP, reauthenticated=True)
    session.save()


class StaffClient(Client):
    """A test client whose ``force_login`` includes the second factor."""

    def force_login(self, user: Any, backend: str | None = None) -> None:
        force_login_with_mfa(self, user, backend)
