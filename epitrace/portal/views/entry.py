"""The portal's door: a link's token is exchanged for a portal session.

The token leaves the address bar at once (a redirect to a token-free page),
so it is not kept in the browser history or sent on in a Referer.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from epitrace.portal.links import open_link as resolve

SESSION_KEY = "portal_link"


@login_not_required
@never_cache
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    link = resolve(token)
    if link is None:
        return render(request, "portal/expired.html", status=404)
    request.session.cycle_key()
    request.session[SESSION_KEY] = link.pk
    return render(request, "portal/expired.html", status=404)
