"""The e-mails about a lab feed: who gets them and what they say.

They name the channel and times only, never a message's content: e-mail
leaves the system's audit trail the moment it is sent.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from epitrace.accounts.roles import Role, role_grants
from epitrace.labs.models import FeedName, LabFeed

ADMIN_CAPABILITY = "accounts.manage_users"


def alert_recipients() -> list[str]:
    """``EPITRACE_FEED_ALERT_EMAILS``, else the state's user and system administrators.

    Those are the active users holding, at the root jurisdiction, a role that
    manages users (state administrator, user administrator): the people who
    can reach the lab and the server.
    """
    if settings.EPITRACE_FEED_ALERT_EMAILS:
        return list(settings.EPITRACE_FEED_ALERT_EMAILS)
    from epitrace.accounts.models import User

    roles = [role for role in Role.values if role_grants(role, ADMIN_CAPABILITY)]
    emails = (
        User.objects.filter(
            is_active=True,
            is_system=False,
            memberships__role__in=roles,
            memberships__jurisdiction__parent__isnull=True,
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(set(emails))


def send_outage(feed: LabFeed, now: dt.datetime) -> int:
    """E-mail that ``feed`` is overdue; returns how many recipients (0: nobody to tell)."""
    since = _when(feed.last_received_at) if feed.last_received_at else None
    hours = settings.EPITRACE_FEED_EXPECTED_HOURS
    lines = [
        f"No lab report has arrived through {_channel(feed)} "
        + (f"since {since}." if since else "since it was set up."),
        f"It is expected to deliver at least every {hours} hours; checked at {_when(now)}.",
        "",
        _advice(feed),
        "",
        "You will get one more e-mail when the feed delivers again.",
    ]
    return _send(f"Lab feed overdue: {feed}", lines)


def send_resumed(feed: LabFeed, outage_began: dt.datetime) -> int:
    """E-mail that ``feed`` delivers again after the outage raised at ``outage_began``."""
    arrived = _when(feed.last_received_at) if feed.last_received_at else "just now"
    lines = [
        f"Lab reports arrive again through {_channel(feed)} (first at {arrived}).",
        f"The outage alert was raised at {_when(outage_began)}.",
        "",
        "Results sent during the outage arrive as the lab re-sends them; check the "
        "rejected messages screen for any the lab sent in a changed form.",
    ]
    return _send(f"Lab feed resumed: {feed}", lines)


def _send(subject: str, lines: list[str]) -> int:
    recipients = alert_recipients()
    if not recipients:
        return 0
    send_mail(
        f"[Epitrace] {subject}",
        "\n".join(lines) + "\n",
        None,  # DEFAULT_FROM_EMAIL
        recipients,
    )
    return len(recipients)


def _channel(feed: LabFeed) -> str:
    if feed.name == FeedName.DROP_FOLDER:
        return f"the drop folder ({settings.EPITRACE_DROP_FOLDER / 'inbox'})"
    if feed.name == FeedName.MLLP:
        return "the MLLP listener"
    return f"the {feed} feed"


def _advice(feed: LabFeed) -> str:
    if feed.name == FeedName.DROP_FOLDER:
        return (
            "Check that the lab's export job ran and can write to the inbox, and that the "
            "scheduled pull runs (the job workers are up)."
        )
    if feed.name == FeedName.MLLP:
        return (
            "Check that `epitrace mllp` is running and reachable from the lab, and ask the "
            "lab whether its interface engine is queueing messages."
        )
    return "Check with the sender."


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")
