"""The overdue-feed banner for the staff layout.

Shown to whoever can act on a feed for the whole state: a membership at the
root jurisdiction whose role manages users or fixes lab messages. A tracer
can change their own jurisdiction's messages, yet a silent state feed is not
theirs to chase. The memberships come from the request's navigation, which
the top bar loads anyway, so most users cost no query at all; those who see
the banner cost one, and only on pages that render it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from epitrace.accounts.roles import role_grants
from epitrace.labs.feeds.arrivals import alerting_feeds
from epitrace.labs.models import LabFeed
from epitrace.web.context import navigation_for

CAPABILITIES = ("accounts.manage_users", "labs.change_rawmessage")


def feed_alerts(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"lab_feed_alerts": SimpleLazyObject(lambda: _alerts_for(request))}


def sees_feed_alerts(request: HttpRequest) -> bool:
    if getattr(request.user, "is_system", False):
        return True
    return any(
        membership.jurisdiction.parent_id is None
        and any(role_grants(membership.role, capability) for capability in CAPABILITIES)
        for membership in navigation_for(request).memberships
    )


def _alerts_for(request: HttpRequest) -> list[LabFeed]:
    return alerting_feeds() if sees_feed_alerts(request) else []
