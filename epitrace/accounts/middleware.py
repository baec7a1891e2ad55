"""Mandatory two-factor authentication, and the security headers Django lacks.

:class:`MFARequiredMiddleware` keeps a signed-in staff member who has not
passed a second factor in this session inside a small set of pages: without
any authenticator, the enrolment pages; with one (signed in some other way),
the page that asks for it. Everything else redirects there, or answers 403
JSON under /api/. Sign-out and the health probes stay open.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from epitrace.accounts.mfa import MFAState, mfa_state, record_enrolment, verify_url_name

# Open in every state: leaving, and the probes.
ALWAYS_OPEN = frozenset({"account_logout", "account_logout_everywhere", "healthz", "readyz"})
# Without any authenticator: choose one and set it up. allauth may ask for the
# password again before adding one (account_reauthenticate).
ENROLMENT_VIEWS = frozenset(
    {"mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "account_reauthenticate"}
)
# With an authenticator this session has not used: prove it.
VERIFY_VIEWS = frozenset({"mfa_reauthenticate", "mfa_reauthenticate_webauthn"})

API_PREFIX = "/api/"


class MFARequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        state = mfa_state(request, user)
        if state is MFAState.VERIFIED:
            return self.get_response(request)
        request.epitrace_mfa_pending = True  # type: ignore[attr-defined]  # menus hide
        name = _url_name(request)
        allowed = ENROLMENT_VIEWS if state is MFAState.NOT_ENROLLED else VERIFY_VIEWS
        if name not in allowed and name not in ALWAYS_OPEN and not _is_static(request):
            return self._refuse(request, state)
        started = timezone.now()
        response = self.get_response(request)
        # A factor created during a POST from an unenrolled session was set up
        # by it (directly, or in the request allauth replays after asking for
        # the password again).
        posted = state is MFAState.NOT_ENROLLED and request.method == "POST"
        if posted and request.user.is_authenticated:
            record_enrolment(request, request.user, since=started)
        return response

    def _refuse(self, request: HttpRequest, state: MFAState) -> HttpResponseBase:
        if state is MFAState.NOT_ENROLLED:
            target = reverse("mfa_index")
            message = _("Set up two-factor authentication to use Epitrace.")
        else:
            target = reverse(verify_url_name(request.user))
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            message = _("Confirm your second factor to continue.")
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({"detail": message, "mfa_url": target}, status=403)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(target)
        return redirect(target)


def _url_name(request: HttpRequest) -> str | None:
    try:
        return resolve(request.path_info).url_name
    except Resolver404:
        return None


def _is_static(request: HttpRequest) -> bool:
    return bool(settings.STATIC_URL) and request.path_info.startswith(str(settings.STATIC_URL))


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy on every response, and
    no caching of anything shown to a signed-in user (pages carry personal data)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.permissions_policy = ", ".join(
            f"{feature}=({' '.join(allow)})"
            for feature, allow in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response
