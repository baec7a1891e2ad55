"""Portal links made in bulk, for messages written many at a time.

The same tokens as ``epitrace.portal.links.issue_link`` (random, stored
hashed, single-purpose, expiring), written with one INSERT for many
messages: the daily e-mail check-ins and the triggers of a whole import
batch cost a fixed number of statements, not one per person.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.urls import reverse

from epitrace.outreach import conf

TOKEN_BYTES = 32


@dataclass(frozen=True)
class LinkRequest:
    """A link to open ``purpose`` for ``person_id`` (about a case or an exposure)."""

    person_id: int
    purpose: str
    case_id: int | None = None
    exposure_id: int | None = None


def mint_links(requests: list[LinkRequest], now: dt.datetime) -> list[str]:
    """One new absolute link per request, in order; the tokens are stored hashed."""
    from epitrace.portal.choices import LinkPurpose
    from epitrace.portal.links import LIFETIME, digest
    from epitrace.portal.models import PortalLink

    urls, rows = [], []
    for request in requests:
        if request.purpose not in LinkPurpose.values:
            raise ValueError(f"unknown portal link purpose {request.purpose!r}")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        rows.append(
            PortalLink(
                digest=digest(token),
                purpose=request.purpose,
                person_id=request.person_id,
                case_id=request.case_id,
                exposure_id=request.exposure_id,
                expires_at=now + LIFETIME[request.purpose],
            )
        )
        urls.append(conf.public_url(reverse("portal:open", kwargs={"token": token})))
    PortalLink.objects.bulk_create(rows, batch_size=2000)
    return urls
