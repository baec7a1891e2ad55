"""The portal's door: a link's token is exchanged for a portal session.

The token leaves the address bar at once (a redirect to a token-free page),
so it is not kept in the browser history or sent on in a Referer. A wrong,
expired or revoked token and a purged person get one and the same page; a
client that sent too many bad tokens gets it too, without its token being
looked at.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from epitrace.audit.services import client_ip
from epitrace.portal import ratelimit
from epitrace.portal.choices import LinkPurpose
from epitrace.portal.links import open_link as resolve
from epitrace.portal.session import (
    LANGUAGE_KEY,
    SESSION_KEY,
    available_languages,
    expired,
    portal_page,
)

START = {
    LinkPurpose.SELF_INTERVIEW: "portal:interview",
    LinkPurpose.CHECKIN: "portal:checkin",
    LinkPurpose.CONTACT_NOTICE: "portal:checkin",
}


@portal_page
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    client = client_ip(request) or "unknown"
    if ratelimit.exceeded(ratelimit.BAD_TOKENS_PER_IP, client):
        return expired(request)
    link = resolve(token)
    if link is None:
        ratelimit.hit(ratelimit.BAD_TOKENS_PER_IP, client)
        return expired(request)
    # A new, empty session: nothing of an earlier visitor (or a staff login) carries over.
    request.session.flush()
    request.session[SESSION_KEY] = link.pk
    return redirect(START[LinkPurpose(link.purpose)])


@portal_page
@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Show the portal in another language from now on (this session only)."""
    language = request.POST.get("language", "")
    if language in {code for code, _name in available_languages()}:
        request.session[LANGUAGE_KEY] = language
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    if not (safe and back.startswith("/p/")):
        back = "/p/"
    return redirect(back)
