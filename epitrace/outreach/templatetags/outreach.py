"""The outreach panels other pages include, and the sidebar entries.

``{% person_outreach person as outreach %}`` gives a person page the
messages sent to and received from that person, their check-in answers and
the opt-outs of their numbers and of those messages' addresses, each as far
as the user may see it (a handful of queries, whatever the number of
messages). ``{% outreach_nav %}`` renders the sidebar entries for the users
who have them; whether replies wait for staff is kept a minute per user in
the cache, not asked on every page.

Opt-outs are shown wherever staff see a phone or an e-mail address:
``{% opted_out_addresses items as opted_out %}`` reads the opt-outs of a
page's addresses in one query (strings, or objects with ``value`` or
``address`` or ``from_address``), ``{% address value channel opted_out %}`` writes one address
the way staff read it with an "Opted out" badge, and
``{% opt_out_badge value opted_out %}`` adds only the badge (next to a
``tel:`` link, say). Without the set, the badge reads that one address.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import Any

from django import template
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from epitrace.core.querysets import person_in_reach
from epitrace.core.statements import Ahead, PersonRows, Restricted, Statement
from epitrace.outreach.access import reads_log
from epitrace.outreach.choices import InboundState, State
from epitrace.outreach.models import CheckInAnswer, InboundMessage, OutboxMessage, Suppression
from epitrace.people.models import ContactPoint
from epitrace.web.templatetags.epitrace_ui import phone
from epitrace.wording.access import words_messages

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
    opted_out: frozenset[str]


# The newest of each, read by statements compiled once (core/statements.py).
_SENT = PersonRows(OutboxMessage, lambda rows: rows.order_by("-id")[:SHOWN])
_RECEIVED = PersonRows(InboundMessage, lambda rows: rows.order_by("-created_at")[:SHOWN])
_ANSWERS = PersonRows(CheckInAnswer, lambda rows: rows.order_by("-day")[:SHOWN])


def _opt_outs(person: int) -> QuerySet[Suppression]:
    """The opt-outs in force of the person's addresses and of those the newest
    messages went to or came from (a number may have been removed since),
    each marked whether it is one of the person's contact points."""
    points = ContactPoint.objects.filter(person_id=person)
    sent = OutboxMessage.objects.filter(person_id=person).order_by("-id").values("address")
    received = InboundMessage.objects.filter(person_id=person).order_by("-created_at")
    return Suppression.objects.filter(
        Q(address__in=points.values("value"))
        | Q(address__in=sent[:SHOWN])
        | Q(address__in=received.values("from_address")[:SHOWN]),
        lifted_at__isnull=True,
    ).annotate(of_point=Exists(points.filter(value=OuterRef("address"))))


# One statement for the messages panel's opt-outs; what this user may not see
# of them is left out afterwards (person_outreach).
_OPT_OUTS = Statement(_opt_outs)


def outreach_reads(user: Any, person_id: int) -> list[Ahead | None]:
    """``person_outreach``'s reads, for a page to send with its others (``reading_ahead``)."""
    return [
        _SENT.ahead(user, person_id),
        _RECEIVED.ahead(user, person_id),
        _ANSWERS.ahead(user, person_id),
        _OPT_OUTS.ahead(person_id),
    ]


@register.simple_tag(takes_context=True)
def person_outreach(context: template.Context, person: Any) -> PersonOutreach:
    user, pk = context["request"].user, person.pk
    sent = _SENT.of_person(user, pk)
    received = _RECEIVED.of_person(user, pk)
    answers = _ANSWERS.of_person(user, pk)
    # Exactly those of the contact points and the messages this user may see.
    points_seen = person_in_reach(ContactPoint, user, pk, "view")
    addresses = {m.address for m in sent} | {r.from_address for r in received}
    opt_outs = [
        o
        for o in (_OPT_OUTS.fetch(pk) if points_seen or addresses else [])
        if (points_seen and o.of_point) or o.address in addresses  # type: ignore[attr-defined]
    ]
    opted_out = frozenset(o.address for o in opt_outs)
    return PersonOutreach(sent, received, answers, opt_outs, opted_out)


def _address_of(item: Any) -> str:
    if isinstance(item, str):
        return item
    for name in ("value", "address", "from_address"):
        if found := getattr(item, name, None):
            return str(found)
    return ""


@register.simple_tag
def opted_out_addresses(items: Iterable[Any] | None) -> frozenset[str]:
    """The addresses among ``items`` that opted out and were not let back in (one query)."""
    wanted = {_address_of(item) for item in items or ()} - {""}
    if not wanted:
        return frozenset()
    found = Suppression.objects.filter(address__in=wanted, lifted_at__isnull=True)
    return frozenset(found.values_list("address", flat=True))


def _is_opted_out(value: str, opted_out: Set[str] | None) -> bool:
    if opted_out is None:
        return bool(opted_out_addresses([value]))
    return value in opted_out


@register.simple_tag
def opt_out_badge(value: str, opted_out: Set[str] | None = None) -> SafeString | str:
    if not value or not _is_opted_out(value, opted_out):
        return ""
    return format_html(
        '<span class="badge badge--warning" title="{}">{}</span>',
        _("Replied STOP or was unsubscribed: gets no messages."),
        _("Opted out"),
    )


@register.simple_tag
def address(value: str, channel: str = "", opted_out: Set[str] | None = None) -> SafeString:
    """An address as staff read it (phones in national form), marked when opted out."""
    shown = value if channel == "email" or "@" in (value or "") else phone(value)
    badge = opt_out_badge(value, opted_out)
    if badge:
        return format_html("{} {}", shown, badge)
    return format_html("{}", shown)


@register.filter
def outbox_tone(state: str) -> str:
    """The badge colour (app.css) of an outbox state."""
    return STATE_TONE.get(state, "muted")


@register.inclusion_tag("outreach/_nav.html", takes_context=True)
def outreach_nav(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    match = request.resolver_match
    in_outreach = match is not None and match.namespace == "outreach"
    return {
        "request": request,
        "shows_log": reads_log(request.user),
        "shows_wording": words_messages(request.user),
        "shows_replies": in_outreach or replies_waiting(request.user),
    }


# How long the menu may show a stale "Replies to handle": the entry is a
# shortcut, not the list (the page reads the replies afresh), and asking on
# every page of every tracer costs a query over the replies in their scope.
REPLIES_WAITING_SECONDS = 60


# One reply that needs staff, if any, read with the restricted query compiled
# once per number of jurisdictions (its rule spans persons and replies without one).
_NEEDING_STAFF = Restricted(
    InboundMessage,
    lambda replies: replies.filter(state=InboundState.NEEDS_STAFF).only("pk")[:1],
    "change",
)


def replies_waiting(user: Any) -> bool:
    """Whether replies in ``user``'s reach need staff, as of the last minute."""
    key = f"epitrace:outreach:replies-waiting:{user.pk}"
    waiting = cache.get(key)
    if waiting is None:
        waiting = bool(_NEEDING_STAFF.fetch(user))
        cache.set(key, waiting, REPLIES_WAITING_SECONDS)
    return bool(waiting)
