"""The outreach service API: enqueue a message, opt an address out or back in.

Callers (automated outreach, daily monitoring, the EN hook, staff actions)
call :func:`enqueue` inside the transaction of the change that causes the
message; the row commits or rolls back with it, and the dispatcher sends it
later. Nothing here talks to a provider.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from epitrace.audit.services import Action, record
from epitrace.core.bulkinsert import insert, new_instance
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.outreach.choices import Channel, InboundState, Purpose, Skip, State, SuppressionReason
from epitrace.outreach.keys import idempotency_key
from epitrace.outreach.models import InboundMessage, OutboxMessage, Suppression
from epitrace.outreach.rendering import render
from epitrace.outreach.window import ANY, ON_REQUEST, local_day, next_opening
from epitrace.people.models import Person
from epitrace.portal.links import LinkRequest, mint_links
from epitrace.wording.lookup import Overrides

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

__all__ = [
    "Draft",
    "OutreachError",
    "do_lift_suppression",
    "do_mark_handled",
    "do_suppress",
    "enqueue",
    "enqueue_many",
    "is_suppressed",
    "normalise_address",
]


# Answers the person is waiting for: sent at once, not held for their window.
ON_REQUEST_PURPOSES = frozenset({Purpose.ENROL_CODE, Purpose.HELP_REPLY})


class OutreachError(ValueError):
    """A message that cannot be queued as asked (bad address, unknown purpose...)."""


def enqueue(
    channel: str,
    purpose: str,
    *,
    person: Person | None = None,
    address: str,
    template: str | None = None,
    context: dict[str, Any] | None = None,
    language: str | None = None,
    key_day: dt.date | None = None,
    not_before: dt.datetime | None = None,
    payload: dict[str, Any] | None = None,
    key_extra: str = "",
) -> OutboxMessage:
    """Queue one message and return its row; the same key twice returns the first row.

    ``channel``: ``sms``, ``email`` or ``en`` (a code request to the EN
    verification server, whose fields go in ``payload``). ``purpose`` is a
    :class:`~epitrace.outreach.choices.Purpose`; ``template`` defaults to it
    and is rendered with ``context`` (e.g. ``{"link": ...}``) in ``language``
    (default: the person's preferred language), English when that language
    has no wording. ``key_day`` is the person's local day the message is for
    (default: today there). The row waits until ``not_before`` and until the
    person's send window opens, except a reply to the person's own request
    (an enrolment code, the answer to HELP), sent at any hour. ``key_extra``
    makes the key one of several on the same day, for a message the person
    may rightly ask for again (a new enrolment code). A deceased person or an address that opted
    out gets a row already cancelled, with the reason as its error code.
    Call inside the transaction of the change that causes the message.
    """
    if channel not in Channel.values:
        raise OutreachError(f"unknown channel {channel!r}")
    if purpose not in Purpose.values:
        raise OutreachError(f"unknown purpose {purpose!r}")
    address = normalise_address(channel, address)
    time_zone = person.time_zone if person is not None else _default_zone()
    if purpose in ON_REQUEST_PURPOSES:
        preference = ON_REQUEST
    else:
        preference = person.contact_window if person is not None else ANY
    now = timezone.now()
    start = max(now, not_before) if not_before else now
    day = key_day or local_day(start, time_zone)
    key = idempotency_key(
        channel, purpose, person_id=person.pk if person else None, address=address, day=day
    )
    if key_extra:
        key = f"{key}:{key_extra}"
    existing = OutboxMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    wanted = language or (person.preferred_language if person else "en")
    rendered = None
    if channel != Channel.EN:
        rendered = render(
            channel,
            template or purpose,
            wanted,
            context or {},
            jurisdiction_id=person.jurisdiction_id if person else None,
        )
    row = OutboxMessage(
        key=key,
        channel=channel,
        purpose=purpose,
        template="" if channel == Channel.EN else template or purpose,
        person=person,
        jurisdiction_id=person.jurisdiction_id if person else _root_id(),
        address=address,
        language=rendered.language if rendered else wanted,
        time_zone=time_zone,
        send_window=preference,
        key_day=day,
        subject=rendered.subject if rendered else "",
        body=rendered.body if rendered else "",
        payload=payload or {},
        next_attempt_at=next_opening(start, time_zone, preference),
    )
    skip = _refusal(person, address)
    if skip is not None:
        row.state, row.error_code, row.error_text = State.CANCELLED, skip, str(skip.label)
    # ON CONFLICT DO NOTHING: a concurrent enqueue of the same key waits for
    # ours to commit and then inserts nothing; both return the one row.
    OutboxMessage.objects.bulk_create([row], ignore_conflicts=True)
    return OutboxMessage.objects.get(key=key)


@dataclass
class Draft:
    """One message for :func:`enqueue_many`; ``link`` asks for a portal link in ``{{ link }}``."""

    channel: str
    purpose: str
    person: Person
    address: str
    language: str
    key_day: dt.date
    context: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    link: LinkRequest | None = None


LINK_MARK = "@@portal-link@@"  # stands for each message's own link in the shared wording


def enqueue_many(drafts: list[Draft], *, now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Queue many messages in a fixed number of statements; returns the rows added.

    The same rules as :func:`enqueue` (keys, opt-outs, the deceased, the
    person's window, wording in their language and jurisdiction, rendered
    once per wording and language); a key already queued is skipped and
    gets no new link. Call inside the transaction of the change that causes them.
    """
    now = now or timezone.now()
    keyed: dict[str, Draft] = {}
    # Once per call: an enum's ``values`` is a new list of every choice each time it is read.
    channels, purposes = set(Channel.values), set(Purpose.values)
    for draft in drafts:
        if draft.channel not in channels or draft.purpose not in purposes:
            raise OutreachError(f"unknown channel or purpose: {draft.channel}/{draft.purpose}")
        draft.address = normalise_address(draft.channel, draft.address)
        key = idempotency_key(
            draft.channel, draft.purpose, person_id=draft.person.pk, address=draft.address,
            day=draft.key_day,
        )  # fmt: skip
        keyed.setdefault(key, draft)
    taken = set(OutboxMessage.objects.filter(key__in=list(keyed)).values_list("key", flat=True))
    fresh = {key: draft for key, draft in keyed.items() if key not in taken}
    if not fresh:
        return []
    suppressed = set(
        Suppression.objects.filter(
            lifted_at__isnull=True, address__in={d.address for d in fresh.values()}
        ).values_list("address", flat=True)
    )
    wanted = [d.link for d in fresh.values() if d.link is not None]
    urls = iter(mint_links(wanted, now)) if wanted else iter(())
    rendered: dict[tuple[str, str, str, int, tuple[tuple[str, str], ...]], Any] = {}
    wordings = Overrides(
        {(d.channel, d.purpose) for d in fresh.values() if d.channel != Channel.EN},
        {d.person.jurisdiction_id for d in fresh.values()},
    )
    rows = []
    for key, draft in fresh.items():
        person = draft.person
        context = {**draft.context, **({"link": LINK_MARK} if draft.link else {})}
        wording = None
        if draft.channel != Channel.EN:
            plain = tuple(sorted((k, str(v)) for k, v in context.items()))
            which = (draft.channel, draft.purpose, draft.language, person.jurisdiction_id, plain)
            if which not in rendered:
                rendered[which] = render(
                    draft.channel, draft.purpose, draft.language, context,
                    jurisdiction_id=person.jurisdiction_id, wordings=wordings,
                )  # fmt: skip
            wording = rendered[which]
        url = next(urls) if draft.link else ""
        row = new_instance(
            OutboxMessage,
            {
                "key": key,
                "channel": draft.channel,
                "purpose": draft.purpose,
                "template": "" if wording is None else draft.purpose,
                "person": person,
                "jurisdiction_id": person.jurisdiction_id,
                "address": draft.address,
                "language": wording.language if wording else draft.language,
                "time_zone": person.time_zone,
                "send_window": person.contact_window,
                "key_day": draft.key_day,
                "subject": wording.subject if wording else "",
                "body": wording.body.replace(LINK_MARK, url) if wording else "",
                "payload": draft.payload,
                "next_attempt_at": next_opening(now, person.time_zone, person.contact_window),
                "created_at": now,
            },
        )
        skip = Skip.DECEASED if person.deceased_date is not None else None
        skip = skip or (Skip.SUPPRESSED if draft.address in suppressed else None)
        if skip is not None:
            row.state, row.error_code, row.error_text = State.CANCELLED, skip, str(skip.label)
        rows.append(row)
    # A key another writer queued meanwhile is skipped, as above.
    insert(rows, skip_conflicts=True)
    return rows


def normalise_address(channel: str, address: str) -> str:
    """The address as stored: E.164 for phones, lower-case for e-mail; else OutreachError."""
    value = (address or "").strip()
    if channel == Channel.EMAIL:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise OutreachError(f"not an e-mail address: {value!r}") from exc
        return value.lower()
    if not E164.match(value):
        raise OutreachError("a phone number must be in E.164 form, e.g. +18605550123")
    return value


def is_suppressed(address: str) -> bool:
    return Suppression.objects.filter(address=address, lifted_at__isnull=True).exists()


def _refusal(person: Person | None, address: str) -> Skip | None:
    if person is not None and person.deceased_date is not None:
        return Skip.DECEASED
    if is_suppressed(address):
        return Skip.SUPPRESSED
    return None


def _default_zone() -> str:
    from django.conf import settings

    return str(settings.TIME_ZONE)


def _root_id() -> int:
    return int(Jurisdiction.objects.root().pk)


# --- Opt-outs -----------------------------------------------------------------------------


def do_suppress(
    address: str, channel: str, reason: str, *, detail: str = "", acting_user: Any
) -> tuple[Suppression, int]:
    """Opt ``address`` out and cancel what is still queued to it; (the opt-out, rows cancelled).

    Idempotent: an address already opted out keeps its first opt-out row.
    """
    if reason not in SuppressionReason.values:
        raise OutreachError(f"unknown opt-out reason {reason!r}")
    with transaction.atomic():
        Suppression.objects.bulk_create(
            [Suppression(address=address, channel=channel, reason=reason, detail=detail[:200])],
            ignore_conflicts=True,
        )
        suppression = Suppression.objects.get(address=address, lifted_at__isnull=True)
        cancelled = cancel_queued_to(address, Skip.STOPPED if reason == "stop" else Skip.SUPPRESSED)
        record(
            Action.UPDATE,
            actor=acting_user,
            obj=suppression,
            reason=f"opt-out: {reason}",
            payload={"cancelled_messages": cancelled},
        )
    return suppression, cancelled


def do_lift_suppression(address: str, *, acting_user: Any, reason: str) -> int:
    """START: the address may be messaged again; returns the opt-outs lifted (0 or 1)."""
    with transaction.atomic():
        active = list(
            Suppression.objects.select_for_update().filter(address=address, lifted_at__isnull=True)
        )
        now = timezone.now()
        for suppression in active:
            suppression.lifted_at = now
            suppression.save(update_fields=["lifted_at", "updated_at"])
            record(Action.UPDATE, actor=acting_user, obj=suppression, reason=reason)
    return len(active)


def cancel_queued_to(address: str, why: Skip) -> int:
    """Cancel the rows to ``address`` not yet handed to a provider."""
    return OutboxMessage.objects.filter(address=address, state=State.QUEUED).update(
        state=State.CANCELLED,
        error_code=why,
        error_text=str(why.label),
        updated_at=timezone.now(),
    )


# --- Replies for staff ----------------------------------------------------------------------


def do_mark_handled(
    inbound: InboundMessage, *, acting_user: Any, note: str = "", request: Any = None
) -> InboundMessage:
    """A member of staff dealt with a reply that needed them."""
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
        if locked.state != InboundState.NEEDS_STAFF:
            raise OutreachError("This reply does not need staff.")
        locked.state = InboundState.DONE
        locked.handled_by = acting_user
        locked.handled_at = timezone.now()
        if note:
            locked.note = note[:300]
        locked.save(update_fields=["state", "handled_by", "handled_at", "note", "updated_at"])
        record(
            Action.UPDATE,
            actor=acting_user,
            obj=locked,
            request=request,
            reason="reply handled",
            payload={"note": note} if note else None,
        )
    return locked
