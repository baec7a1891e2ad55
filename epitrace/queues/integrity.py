"""Counting double claims from the claim log, independently of the code that prevents them.

Two claims of one item overlap when each started before the other ended (an
open claim has not ended). Touching intervals (one ends at the instant the
next starts) are not an overlap: that is an expiry or a release followed by
the next claim. The claim code takes both timestamps after the row lock, so
on one host an overlap can only come from two tracers truly holding the item
(several web hosts need their clocks synchronised, as for any log).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import DateTimeField, Exists, OuterRef, Value
from django.db.models.functions import Coalesce

from epitrace.queues.models import ClaimLog

_NEVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def _end() -> Coalesce:
    return Coalesce("released_at", Value(_NEVER, output_field=DateTimeField()))


def overlapping_claims(since: dt.datetime | None = None) -> int:
    """How many claims (started since ``since``) overlap a later-logged claim of the same item."""
    later = ClaimLog.objects.annotate(end=_end()).filter(
        item_id=OuterRef("item_id"),
        pk__gt=OuterRef("pk"),
        claimed_at__lt=OuterRef("end"),
        end__gt=OuterRef("claimed_at"),
    )
    claims = ClaimLog.objects.annotate(end=_end())
    if since is not None:
        claims = claims.filter(claimed_at__gte=since)
    return claims.filter(Exists(later)).count()
