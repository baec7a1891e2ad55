"""The portal session: which link it opened, which language it shows, and its headers.

A portal session holds one link's id under :data:`SESSION_KEY`, set only by
the door (views/entry.py) after the token was checked; a portal page reads
that key and nothing else. A staff member's login in the same browser is
never taken as a reason to show anything: the door flushes the session, and
``request.user`` is not read here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare, get_random_string
from django.views.decorators.csrf import csrf_exempt

from epitrace.outreach import conf as outreach_conf
from epitrace.portal.models import PortalLink

SESSION_KEY = "portal_link"
LANGUAGE_KEY = "portal_language"
FORM_KEY = "portal_form_key"
FALLBACK = "en"

View = Callable[..., HttpResponse]


def available_languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def language_for(request: HttpRequest, preferred: str = "") -> str:
    """The language chosen in this session, else the person's, else English."""
    codes = {code for code, _name in available_languages()}
    for candidate in (request.session.get(LANGUAGE_KEY, ""), preferred):
        if candidate in codes:
            return str(candidate)
    return FALLBACK


def activate_language(request: HttpRequest, preferred: str = "") -> str:
    """Show this request in the person's language; :func:`portal_page` restores the thread's."""
    language = language_for(request, preferred)
    translation.activate(language)
    request.LANGUAGE_CODE = language  # what templates read
    return language


def current_link(request: HttpRequest, purposes: Iterable[str]) -> PortalLink | None:
    """The link this session opened, if it is still usable and opens one of ``purposes``."""
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    link = (
        PortalLink.objects.select_related("person", "case", "case__profile", "exposure")
        .filter(pk=pk, purpose__in=list(purposes))
        .first()
    )
    if link is None or not link.usable or link.person.purged_at is not None:
        return None
    return link


def page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """Render a portal page: the health department's name and the language menu come along."""
    values = {
        "sender": outreach_conf.sender_name(),
        "languages": available_languages(),
        "form_key": form_key(request),
    }
    return render(request, template, {**values, **(context or {})}, status=status)


def expired(request: HttpRequest) -> HttpResponse:
    """The one answer for every token or session that opens nothing."""
    activate_language(request)
    # No language menu: its form's CSRF token would make this page differ between answers.
    response = page(request, "portal/expired.html", {"languages": []}, status=404)
    # Django logs every 404 with its path, and a token is in the path: not logged.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def form_key(request: HttpRequest) -> str:
    """This session's form key, the portal's own protection against cross-site posts.

    Django's CSRF check is not used here: with ``Referrer-Policy: no-referrer``
    browsers send ``Origin: null`` on a form post, which it refuses. The key
    does the same job (a post must carry a value only this session's pages
    hold), and the session cookie is SameSite=Lax besides.
    """
    key = request.session.get(FORM_KEY)
    if not isinstance(key, str):
        key = get_random_string(32)
        request.session[FORM_KEY] = key
    return key


def _forged(request: HttpRequest) -> bool:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    held = request.session.get(FORM_KEY)
    sent = request.POST.get("form_key", "")
    return not (isinstance(held, str) and sent and constant_time_compare(held, sent))


def portal_page(view: View) -> View:
    """A public portal page: no login, never cached, no referrer, not indexed."""

    @login_not_required
    @csrf_exempt  # replaced by the form key: see form_key()
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        previous = translation.get_language()
        try:
            response = expired(request) if _forged(request) else view(request, *args, **kwargs)
            response["Content-Language"] = translation.get_language()
        finally:
            translation.activate(previous)  # nothing after this request sees the person's
        add_never_cache_headers(response)  # no-store: a shared phone keeps no copy
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def linked(*purposes: str) -> Callable[[View], View]:
    """A portal page for the link of this session; any other session sees "expired"."""

    def decorate(view: View) -> View:
        @portal_page
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            link = current_link(request, purposes)
            if link is None:
                return expired(request)
            activate_language(request, link.person.preferred_language)
            return view(request, link, *args, **kwargs)

        return wrapped

    return decorate
