"""Account lockout after failed passwords (django-axes), wired to allauth's login.

Five wrong passwords lock the account by username (settings.py says why not by
address). The lock is checked twice: by :class:`LockoutBackend`, first among the
authentication backends, so no password is ever compared for a locked account,
and by :func:`is_locked_out` in the allauth adapter, before allauth's own rate
limit could answer "too many attempts" in its place. Either way the request is
flagged and ``AxesMiddleware`` answers with :func:`lockout_response`.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check, also for callers that authenticate without a request.

    Django's test client and some tools call ``authenticate()`` with no request;
    axes would raise. Such a call is not counted (there is no address to record),
    but a locked account stays locked for it too.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            request = HttpRequest()
        return super().authenticate(request, username, password, **kwargs)


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The key failures are counted under: the username as allauth matches it."""
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if username is None and request is not None:
        username = request.POST.get("login")
    return str(username or "").strip().lower()


def client_ip(request: HttpRequest) -> str | None:
    """The client address by allauth's rule, so lockout records and rate limits agree."""
    try:
        return get_account_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None


def is_locked_out(request: HttpRequest, credentials: dict[str, Any]) -> bool:
    """True (and the request flagged for AxesMiddleware) when the account is locked."""
    if not getattr(settings, "AXES_ENABLED", True):
        return False
    if AxesProxyHandler.is_allowed(request, credentials):
        return False
    request.axes_locked_out = True  # type: ignore[attr-defined]
    request.axes_credentials = credentials  # type: ignore[attr-defined]
    return True


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any]
) -> HttpResponse:
    """The page a locked-out user sees: what happened, for how long, whom to ask."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        "support_contact": settings.EPITRACE_SUPPORT_CONTACT,
    }
    response = TemplateResponse(
        request,
        "account/lockout.html",
        context,
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )
    return response.render()
