"""Two-factor authentication for staff: the policy, the demo authenticators.

Every staff member signs in with a second factor: an authenticator app (TOTP),
a passkey or security key (WebAuthn), or, once each, a recovery code. allauth
does the ceremonies; this module says when a session counts as MFA-verified
(allauth records each authentication step in the session) and keeps a staff
member from removing their last factor.

Demo users get an authenticator app whose secret is derived from the
SECRET_KEY and the username, so ``epitrace demo-code USER`` can print the
current code on a development machine: the same TOTP check runs as in
production, only the phone is replaced by a command.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import time
from typing import Any

from allauth.account.internal.flows.login import (
    get_authentication_records,
    record_authentication,
)
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

# The factors that make a sign-in two-factor. Recovery codes only stand in for
# them and are removed by allauth together with the last one.
STRONG_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


class MFAState(enum.Enum):
    VERIFIED = "verified"  # this session passed a second factor
    NOT_ENROLLED = "not_enrolled"  # the user has no second factor yet
    NOT_VERIFIED = "not_verified"  # the user has one, this session did not use it


def has_mfa(user: Any) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=STRONG_TYPES).exists()


def session_used_mfa(request: HttpRequest, user: Any) -> bool:
    """Whether a second factor was used in this session (login, passkey or re-check)."""
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, user))


def mfa_state(request: HttpRequest, user: Any) -> MFAState:
    if getattr(user, "is_system", False) or session_used_mfa(request, user):
        return MFAState.VERIFIED
    return MFAState.NOT_VERIFIED if has_mfa(user) else MFAState.NOT_ENROLLED


def record_enrolment(request: HttpRequest, user: Any, *, since: dt.datetime) -> bool:
    """Count a first enrolment as this session's second factor, if one was made ``since``.

    Setting up an authenticator app proves the code, a passkey its key; asking
    for the same factor again a second later would only add a step.
    """
    authenticator = (
        Authenticator.objects.filter(user_id=user.pk, type__in=STRONG_TYPES, created_at__gte=since)
        .order_by("-created_at", "-pk")
        .first()
    )
    if authenticator is None:
        return False
    record_authentication(
        request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True
    )
    return True


def verify_url_name(user: Any) -> str:
    """Where a user with MFA proves it again: the code form, else the key form."""
    if Authenticator.objects.filter(
        user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    ).exists():
        return "mfa_reauthenticate"
    return "mfa_reauthenticate_webauthn"


class StaffMFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # MFA is mandatory: the last app or key may only be replaced, not removed.
        if authenticator.type not in STRONG_TYPES:
            return True
        others = Authenticator.objects.filter(
            user_id=authenticator.user_id, type__in=STRONG_TYPES
        ).exclude(pk=authenticator.pk)
        return others.exists()

    def get_totp_label(self, user: Any) -> str:
        return str(user.get_username())


# --- Demo authenticators ----------------------------------------------------


def demo_totp_secret(username: str) -> str:
    """The base32 TOTP secret of a demo user: HMAC of the username under SECRET_KEY."""
    digest = salted_hmac("epitrace.accounts.mfa.demo_totp", username, algorithm="sha256")
    return base64.b32encode(digest.digest()[:20]).decode("ascii")


def enrol_totp(user: Any, secret: str) -> Authenticator:
    """Give ``user`` an authenticator app with ``secret``, through allauth's own API."""
    return TOTP.activate(user, secret).instance


def totp_secret(user: Any) -> str | None:
    authenticator = Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.TOTP
    ).first()
    return decrypt(authenticator.data["secret"]) if authenticator else None


def is_demo_secret(username: str, secret: str) -> bool:
    return constant_time_compare(secret, demo_totp_secret(username))


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` at time ``at`` (now)."""
    counter = int(time.time() if at is None else at) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))
