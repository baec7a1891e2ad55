"""Issue and open portal links.

:func:`issue_link` is what outreach calls (inside the transaction of the
change that causes the message) to put a link in an SMS or an e-mail;
:func:`open_link` is what the portal calls with the token from the URL. A
wrong, expired or revoked token all give the same ``None``: the portal shows
one "this link has expired" page for every case, so a guess learns nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from epitrace.core.bulkinsert import insert, new_instance
from epitrace.outreach import conf
from epitrace.portal.choices import LinkPurpose
from epitrace.portal.models import PortalLink

if TYPE_CHECKING:
    from epitrace.cases.models import Case
    from epitrace.contacts.models import Exposure
    from epitrace.people.models import Person

# How long each kind of link stays valid. A self-interview is usually done
# within days of the result; a check-in link is for one day's answer.
LIFETIME: dict[str, dt.timedelta] = {
    LinkPurpose.SELF_INTERVIEW: dt.timedelta(days=7),
    LinkPurpose.CHECKIN: dt.timedelta(hours=36),
    LinkPurpose.CONTACT_NOTICE: dt.timedelta(days=14),
}
TOKEN_BYTES = 32  # 256 bits: not guessable, even at any request rate
_PLACEHOLDER = "TOKEN"  # not base64url of 32 bytes (43 characters): no real token


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class LinkRequest:
    """A link to open ``purpose`` for ``person_id`` (about a case or an exposure)."""

    person_id: int
    purpose: str
    case_id: int | None = None
    exposure_id: int | None = None
    valid_for: dt.timedelta | None = None


def mint_links(requests: Sequence[LinkRequest], now: dt.datetime | None = None) -> list[str]:
    """One new absolute link per request, in order, stored hashed with one INSERT.

    Bulk messages (a whole import batch's triggers, the day's e-mail
    check-ins) pay a fixed number of statements for their links.
    """
    now = now or timezone.now()
    urls, rows = [], []
    # The address of a placeholder token, completed per link: one reverse() per call.
    head, _, tail = reverse("portal:open", kwargs={"token": _PLACEHOLDER}).partition(_PLACEHOLDER)
    purposes = set(LinkPurpose.values)  # a new list of every choice each time it is read
    for request in requests:
        if request.purpose not in purposes:
            raise ValueError(f"unknown portal link purpose {request.purpose!r}")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        rows.append(
            new_instance(
                PortalLink,
                {
                    "digest": digest(token),
                    "purpose": request.purpose,
                    "person_id": request.person_id,
                    "case_id": request.case_id,
                    "exposure_id": request.exposure_id,
                    "expires_at": now + (request.valid_for or LIFETIME[request.purpose]),
                },
            )
        )
        urls.append(conf.public_url(f"{head}{token}{tail}"))
    insert(rows)
    return urls


def issue_link(
    *,
    person: Person,
    purpose: str,
    case: Case | None = None,
    exposure: Exposure | None = None,
    valid_for: dt.timedelta | None = None,
) -> str:
    """Store a new token for ``person`` and ``purpose`` and return the absolute link."""
    request = LinkRequest(
        person.pk,
        purpose,
        case_id=case.pk if case else None,
        exposure_id=exposure.pk if exposure else None,
        valid_for=valid_for,
    )
    return mint_links([request])[0]


def open_link(token: str) -> PortalLink | None:
    """The usable link for ``token``, counted as used; None for any unusable token."""
    if not token or len(token) > 128:
        return None
    link = (
        PortalLink.objects.select_related("person", "case", "exposure")
        .filter(digest=digest(token))
        .first()
    )
    if link is None or not link.usable or link.person.purged_at is not None:
        return None
    now = timezone.now()
    PortalLink.objects.filter(pk=link.pk).update(
        uses=F("uses") + 1, last_used_at=now, first_used_at=link.first_used_at or now
    )
    return link


def revoke_links(person: Person, purpose: str | None = None) -> int:
    """Revoke a person's live links (all, or one purpose); returns how many."""
    links = PortalLink.objects.filter(person=person, revoked_at__isnull=True)
    if purpose:
        links = links.filter(purpose=purpose)
    return links.update(revoked_at=timezone.now())
