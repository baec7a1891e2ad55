"""Sign-ins, sign-outs, failed sign-ins, lockouts and MFA events, from the auth signals.

Wired in ``AuditConfig.ready`` so every way of signing in (the login page,
allauth, an admin ``force_login``) is audited without each view remembering.
A failed sign-in names the account it was aimed at when that account exists;
an unknown username goes to the erasable payload, never to the event row,
because people sometimes type a password into the username field.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from epitrace.audit.choices import Action
from epitrace.audit.services import record


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(Action.LOGIN, actor=user, obj=user, request=request)


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(Action.LOGOUT, actor=user, obj=user, request=request)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    _failed(str(credentials.get("username") or ""), request, reason="")


def on_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str = "", **kwargs: Any
) -> None:
    """django-axes locked the account (or address) after repeated failures."""
    _failed(str(username or ""), request, reason="locked out")


def _failed(username: str, request: HttpRequest | None, reason: str) -> None:
    username = username[:150]
    account = get_user_model().objects.filter(username=username).first() if username else None
    if account is not None:
        record(Action.LOGIN_FAILED, actor=account, obj=account, request=request, reason=reason)
    else:
        payload = {"username": username}
        record(Action.LOGIN_FAILED, actor=None, request=request, reason=reason, payload=payload)


def on_mfa(signal_name: str) -> Any:
    """A receiver for one of allauth's MFA signals (added, removed, reset, used)."""

    def receiver(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        user = kwargs.get("user")
        authenticator = kwargs.get("authenticator")
        kind = getattr(authenticator, "type", "") or ""
        reason = f"{signal_name}:{kind}" if kind else signal_name
        record(Action.MFA, actor=user, obj=user, request=request, reason=reason)

    return receiver
