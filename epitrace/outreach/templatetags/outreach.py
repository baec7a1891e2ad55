"""The outreach panels other pages include, and the sidebar entries.

``{% person_outreach person as outreach %}`` gives a person page the
messages sent to and received from that person, their check-in answers and
the opt-outs of their numbers, all through restricted querysets (a handful
of queries, whatever the number of messages). ``{% outreach_nav %}`` renders
the sidebar entries for the users who have them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.db.models import Q

from epitrace.outreach.access import reads_log
from epitrace.outreach.choices import InboundState, State
from epitrace.outreach.models import CheckInAnswer, InboundMessage, OutboxMessage, Suppression
from epitrace.people.models import ContactPoint

register = template.Library()
SHOWN = 20
STATE_TONE: dict[str, str] = {
    State.QUEUED: "info",
    State.SENDING: "info",
    State.SENT: "chain",
    State.DELIVERED: "monitoring-completed",
    State.FAILED: "alert",
    State.CANCELLED: "warning",
}


@dataclass
class PersonOutreach:
    sent: list[OutboxMessage]
    received: list[InboundMessage]
    answers: list[CheckInAnswer]
    opt_outs: list[Suppression]


@register.simple_tag(takes_context=True)
def person_outreach(context: template.Context, person: Any) -> PersonOutreach:
    user = context["request"].user
    sent = list(
        OutboxMessage.objects.restrict(user, "view").filter(person=person).order_by("-id")[:SHOWN]
    )
    received = list(
        InboundMessage.objects.restrict(user, "view")
        .filter(person=person)
        .order_by("-created_at")[:SHOWN]
    )
    answers = list(
        CheckInAnswer.objects.restrict(user, "view").filter(person=person).order_by("-day")[:SHOWN]
    )
    numbers = ContactPoint.objects.restrict(user, "view").filter(person=person).values("value")
    addresses = {m.address for m in sent}
    opt_outs = list(
        Suppression.objects.filter(Q(address__in=numbers) | Q(address__in=addresses)).filter(
            lifted_at__isnull=True
        )
    )
    return PersonOutreach(sent, received, answers, opt_outs)


@register.filter
def outbox_tone(state: str) -> str:
    """The badge colour (app.css) of an outbox state."""
    return STATE_TONE.get(state, "muted")


@register.inclusion_tag("outreach/_nav.html", takes_context=True)
def outreach_nav(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    return {
        "request": request,
        "shows_log": reads_log(request.user),
        "shows_replies": InboundMessage.objects.restrict(request.user, "change")
        .filter(state=InboundState.NEEDS_STAFF)
        .exists()
        or request.resolver_match.namespace == "outreach",
    }
