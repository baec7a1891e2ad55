"""The feed watch: raise an alert for an overdue feed, clear it when it delivers.

Each transition is claimed with a conditional update on the feed row, so two
checkers running at once (two workers, a manual run) send each e-mail once.
An e-mail that fails to send releases its claim and is retried at the next
check; the outage alert itself stays raised meanwhile.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from epitrace.labs.feeds import notify
from epitrace.labs.models import FeedName, LabFeed

log = logging.getLogger(__name__)

WATCHED = (FeedName.DROP_FOLDER, FeedName.MLLP)


@dataclass(frozen=True)
class Change:
    feed: str
    what: str  # "raised", "notified", "resumed"


def check_feeds(now: dt.datetime | None = None) -> list[Change]:
    """Check every watched feed once; returns what changed."""
    now = now or timezone.now()
    changes: list[Change] = []
    for feed in watched_feeds(now):
        changes.extend(_check(feed, now))
    for change in changes:
        log.info("lab feed %s: alert %s", change.feed, change.what)
    return changes


def watched_feeds(now: dt.datetime) -> list[LabFeed]:
    feeds = {feed.name: feed for feed in LabFeed.objects.filter(name__in=WATCHED)}
    if settings.EPITRACE_DROP_FOLDER_EXPECTED and FeedName.DROP_FOLDER not in feeds:
        # Configured for a lab but never delivered: the outage clock starts now.
        feed, _ = LabFeed.objects.get_or_create(
            name=FeedName.DROP_FOLDER, defaults={"watched_since": now}
        )
        feeds[feed.name] = feed
    return [feed for feed in feeds.values() if _is_watched(feed)]


def is_overdue(feed: LabFeed, now: dt.datetime) -> bool:
    since = feed.last_received_at or feed.watched_since
    return now - since > dt.timedelta(hours=settings.EPITRACE_FEED_EXPECTED_HOURS)


def _is_watched(feed: LabFeed) -> bool:
    if feed.last_received_at is not None:
        return True
    return feed.name == FeedName.DROP_FOLDER and settings.EPITRACE_DROP_FOLDER_EXPECTED


def _check(feed: LabFeed, now: dt.datetime) -> list[Change]:
    if feed.alert_raised_at is not None:
        if feed.last_received_at is not None and feed.last_received_at >= feed.alert_raised_at:
            return _resolve(feed)
        if feed.alert_emailed_at is None:  # the e-mail failed last time
            return _email_outage(feed, now)
        return []
    if is_overdue(feed, now):
        return _raise(feed, now)
    return []


def _raise(feed: LabFeed, now: dt.datetime) -> list[Change]:
    # Only if nothing arrived since we read the row: an arrival in between
    # would otherwise sit before the alert and leave it open.
    claimed = LabFeed.objects.filter(
        pk=feed.pk, alert_raised_at__isnull=True, last_received_at=feed.last_received_at
    ).update(alert_raised_at=now)
    if not claimed:
        return []
    feed.alert_raised_at = now
    return [Change(feed.name, "raised"), *_email_outage(feed, now)]


def _email_outage(feed: LabFeed, now: dt.datetime) -> list[Change]:
    claimed = LabFeed.objects.filter(
        pk=feed.pk, alert_raised_at=feed.alert_raised_at, alert_emailed_at__isnull=True
    ).update(alert_emailed_at=now)
    if not claimed:
        return []
    try:
        sent = notify.send_outage(feed, now)
    except Exception as exc:  # SMTP down, bad address...: retry at the next check
        LabFeed.objects.filter(pk=feed.pk, alert_emailed_at=now).update(alert_emailed_at=None)
        log.error("lab feed %s: outage e-mail failed (%s)", feed.name, type(exc).__name__)
        return []
    if not sent:
        log.warning(
            "lab feed %s: overdue, but nobody to e-mail (set EPITRACE_FEED_ALERT_EMAILS "
            "or give a root-jurisdiction user administrator an e-mail address)",
            feed.name,
        )
    return [Change(feed.name, "notified")]


def _resolve(feed: LabFeed) -> list[Change]:
    began, emailed = feed.alert_raised_at, feed.alert_emailed_at
    assert began is not None
    claimed = LabFeed.objects.filter(pk=feed.pk, alert_raised_at=began).update(
        alert_raised_at=None, alert_emailed_at=None
    )
    if not claimed:
        return []
    if emailed is not None:  # nobody was told of the outage: no news that it ended
        try:
            notify.send_resumed(feed, began)
        except Exception as exc:
            log.error("lab feed %s: resumed e-mail failed (%s)", feed.name, type(exc).__name__)
    return [Change(feed.name, "resumed")]
