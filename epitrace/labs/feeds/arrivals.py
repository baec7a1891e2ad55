"""Recording that a lab feed delivered, and reading which feeds are overdue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from epitrace.labs.models import FeedName, LabFeed

# A feed busy with many messages a second moves its timestamp once a minute:
# an outage is measured in hours, and a write per message would make every
# importer wait on the same row lock.
RESOLUTION = dt.timedelta(seconds=60)


def record_arrival(feed: str, *, at: dt.datetime | None = None) -> None:
    """Note that ``feed`` (a pipeline source) delivered a message now.

    Call it inside the transaction that stores the message, or after it;
    sources that are not feeds (``reprocess``) are ignored.
    """
    if feed not in FeedName.values:
        return
    now = at or timezone.now()
    rows = LabFeed.objects.filter(name=feed)
    if rows.filter(last_received_at__gte=now - RESOLUTION).exists():
        return
    # The condition repeats in the update: a concurrent arrival may have won.
    stale = Q(last_received_at__isnull=True) | Q(last_received_at__lt=now - RESOLUTION)
    if rows.filter(stale).update(last_received_at=now):
        return
    LabFeed.objects.get_or_create(
        name=feed, defaults={"last_received_at": now, "watched_since": now}
    )


def alerting_feeds() -> list[LabFeed]:
    """Feeds with an open outage alert and nothing delivered since."""
    return list(LabFeed.objects.alerting())
