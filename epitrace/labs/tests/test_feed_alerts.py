"""The watch on lab feeds: one e-mail per outage, a banner for the state's
administrators, both cleared when the feed delivers again."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from epitrace.accounts.models import User
from epitrace.labs import tasks
from epitrace.labs.feeds import notify
from epitrace.labs.feeds.arrivals import record_arrival
from epitrace.labs.feeds.context import feed_alerts
from epitrace.labs.feeds.monitor import check_feeds
from epitrace.labs.feeds.notify import alert_recipients
from epitrace.labs.models import FeedName, LabFeed
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas
from epitrace.web.context import navigation_for

BANNER = "Lab feed overdue"
pytestmark = pytest.mark.django_db


def admin(username: str, jurisdiction: Any, role: str = "state_admin", **kwargs: Any) -> User:
    user = f.UserFactory.create(username=username, **kwargs)
    f.MembershipFactory.create(user=user, jurisdiction=jurisdiction, role=role)
    return user


@pytest.fixture
def admins(personas: Personas) -> list[User]:
    """Who is told: the root's state and user administrators, active, with an address."""
    told = [
        admin("state.admin", personas.state),
        admin("user.admin", personas.state, role="user_admin"),
    ]
    admin("lhd.user.admin", personas.a.jurisdiction, role="user_admin")  # not the state's
    admin("gone.admin", personas.state, is_active=False)
    admin("no.address", personas.state, email="")
    return told


@pytest.fixture(autouse=True)
def _quiet_drop_folder(settings: SettingsWrapper) -> None:
    settings.EPITRACE_DROP_FOLDER_EXPECTED = False
    settings.EPITRACE_FEED_ALERT_EMAILS = []
    settings.EPITRACE_FEED_EXPECTED_HOURS = 2


def shows_banner(client: Client, user: User) -> bool:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return BANNER in response.content.decode()


def test_an_overdue_feed_alerts_once_and_clears_when_it_delivers(
    personas: Personas, admins: list[User], client: Client, mailoutbox: list[Any]
) -> None:
    now = timezone.now()
    record_arrival(FeedName.DROP_FOLDER, at=now - dt.timedelta(hours=3))

    check_feeds(now)
    [outage] = mailoutbox
    assert outage.subject == "[Epitrace] Lab feed overdue: Drop folder"
    assert sorted(outage.to) == sorted(u.email for u in admins)
    assert "every 2 hours" in outage.body
    assert shows_banner(client, admins[0])
    assert shows_banner(client, personas.state_epi)  # fixes rejected messages statewide
    assert not shows_banner(client, personas.a.tracer)

    check_feeds(now + dt.timedelta(minutes=15))
    check_feeds(now + dt.timedelta(hours=5))
    assert len(mailoutbox) == 1  # once per outage

    record_arrival(FeedName.DROP_FOLDER)
    assert not shows_banner(client, admins[0])  # at once, before any check
    check_feeds()
    resumed = mailoutbox[-1]
    assert len(mailoutbox) == 2
    assert resumed.subject == "[Epitrace] Lab feed resumed: Drop folder"
    feed = LabFeed.objects.get(name=FeedName.DROP_FOLDER)
    assert (feed.alert_raised_at, feed.alert_emailed_at) == (None, None)
    check_feeds()
    assert len(mailoutbox) == 2


def test_a_feed_on_time_raises_nothing(admins: list[User], mailoutbox: list[Any]) -> None:
    now = timezone.now()
    record_arrival(FeedName.DROP_FOLDER, at=now - dt.timedelta(minutes=119))
    assert check_feeds(now) == []
    assert mailoutbox == []


def test_a_feed_never_seen_is_watched_only_when_configured(
    admins: list[User], settings: SettingsWrapper, mailoutbox: list[Any]
) -> None:
    now = timezone.now()
    assert check_feeds(now + dt.timedelta(days=3)) == []
    assert not LabFeed.objects.exists()

    settings.EPITRACE_DROP_FOLDER_EXPECTED = True  # EPITRACE_DROP_FOLDER set explicitly
    assert check_feeds(now) == []  # the outage clock starts now
    assert check_feeds(now + dt.timedelta(hours=1)) == []
    assert [c.what for c in check_feeds(now + dt.timedelta(hours=3))] == ["raised", "notified"]
    assert "since it was set up" in mailoutbox[0].body


def test_mllp_is_watched_once_it_has_delivered(admins: list[User], mailoutbox: list[Any]) -> None:
    now = timezone.now()
    assert check_feeds(now) == []
    record_arrival(FeedName.MLLP, at=now - dt.timedelta(hours=4))
    assert [c.what for c in check_feeds(now)] == ["raised", "notified"]
    assert mailoutbox[0].subject == "[Epitrace] Lab feed overdue: MLLP listener"


def test_api_and_file_imports_are_recorded_but_not_watched(
    admins: list[User], mailoutbox: list[Any]
) -> None:
    long_ago = timezone.now() - dt.timedelta(days=30)
    record_arrival(FeedName.API, at=long_ago)
    record_arrival(FeedName.FILE, at=long_ago)
    record_arrival("reprocess", at=long_ago)  # not a feed
    assert check_feeds() == []
    assert sorted(LabFeed.objects.values_list("name", flat=True)) == ["api", "file"]


def test_a_failed_email_is_sent_at_the_next_check(
    admins: list[User], monkeypatch: pytest.MonkeyPatch, mailoutbox: list[Any]
) -> None:
    now = timezone.now()
    record_arrival(FeedName.DROP_FOLDER, at=now - dt.timedelta(hours=3))
    send_mail = notify.send_mail

    def smtp_down(*args: Any, **kwargs: Any) -> int:
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")

    monkeypatch.setattr(notify, "send_mail", smtp_down)
    assert [c.what for c in check_feeds(now)] == ["raised"]
    feed = LabFeed.objects.get(name=FeedName.DROP_FOLDER)
    assert feed.alert_raised_at is not None
    assert feed.alert_emailed_at is None
    monkeypatch.setattr(notify, "send_mail", send_mail)
    assert [c.what for c in check_feeds(now + dt.timedelta(minutes=15))] == ["notified"]
    assert len(mailoutbox) == 1


def test_an_arrival_while_checking_keeps_the_alert_down(admins: list[User]) -> None:
    now = timezone.now()
    record_arrival(FeedName.DROP_FOLDER, at=now - dt.timedelta(hours=3))
    stale = LabFeed.objects.get(name=FeedName.DROP_FOLDER)
    record_arrival(FeedName.DROP_FOLDER, at=now)  # between the checker's read and write
    from epitrace.labs.feeds import monitor

    assert monitor._check(stale, now) == []
    assert not LabFeed.objects.alerting().exists()


def test_configured_recipients_replace_the_administrators(
    admins: list[User], settings: SettingsWrapper
) -> None:
    assert alert_recipients() == sorted(u.email for u in admins)
    settings.EPITRACE_FEED_ALERT_EMAILS = ["elr-team@health.example.org"]
    assert alert_recipients() == ["elr-team@health.example.org"]


def test_an_arrival_writes_at_most_once_a_minute(django_assert_num_queries: Any) -> None:
    record_arrival(FeedName.MLLP)
    with django_assert_num_queries(1):  # a read, no write: no row lock for importers
        record_arrival(FeedName.MLLP)
    later = timezone.now() + dt.timedelta(minutes=2)
    record_arrival(FeedName.MLLP, at=later)
    assert LabFeed.objects.get(name=FeedName.MLLP).last_received_at == later


def test_the_banner_costs_a_tracer_no_query(
    personas: Personas, admins: list[User], rf: RequestFactory, django_assert_num_queries: Any
) -> None:
    record_arrival(FeedName.MLLP, at=timezone.now() - dt.timedelta(hours=3))
    check_feeds()
    for user, expected, queries in ((personas.a.tracer, 0, 0), (admins[0], 1, 1)):
        request = rf.get("/")
        request.user = user
        navigation_for(request).memberships  # noqa: B018 - the top bar loads them anyway
        with django_assert_num_queries(queries):
            assert len(feed_alerts(request)["lab_feed_alerts"]) == expected


def test_the_check_runs_every_quarter_hour(admins: list[User], mailoutbox: list[Any]) -> None:
    record_arrival(FeedName.DROP_FOLDER, at=timezone.now() - dt.timedelta(hours=3))
    tasks.check_lab_feeds.call_local()
    assert len(mailoutbox) == 1
    schedule = tasks.check_lab_feeds.s().validate_datetime
    assert [m for m in range(60) if schedule(dt.datetime(2025, 1, 1, 3, m))] == [0, 15, 30, 45]


def test_no_email_leaves_when_nobody_is_there_to_tell(
    personas: Personas, mailoutbox: list[Any]
) -> None:
    record_arrival(FeedName.DROP_FOLDER, at=timezone.now() - dt.timedelta(hours=3))
    assert [c.what for c in check_feeds()] == ["raised", "notified"]
    assert mailoutbox == []
    assert mail.outbox == []
