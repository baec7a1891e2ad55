"""The send window: people are messaged between 08:00 and 20:00 of their own time.

The window is the installation's (``EPITRACE_OUTREACH_WINDOW``); a person may
prefer a part of it (``Person.contact_window``: morning 08-12, afternoon
12-16, evening 16-20), which is the window for every message to them. A part
that does not overlap the configured window falls back to the whole window:
a preference narrows when we write, it never silences us.

A message due outside its window waits for the next opening; a retry pushed
past the evening goes out the next morning, never at night. The daily
check-in is due at the opening of the person's window.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

from django.conf import settings

from epitrace.outreach import conf
from epitrace.outreach.conf import Window

ANY = "any"
# A reply to the person's own request (an enrolment code, the answer to HELP):
# they are waiting for it, whatever the hour.
ON_REQUEST = "on_request"
# The parts of the day a person may choose (people.models.ContactWindow).
PARTS: dict[str, Window] = {
    "morning": Window(dt.time(8), dt.time(12)),
    "afternoon": Window(dt.time(12), dt.time(16)),
    "evening": Window(dt.time(16), dt.time(20)),
}


@cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def hours(preference: str = ANY) -> Window:
    """The local hours for a preference: its part of the day cut to the configured window."""
    if preference == ON_REQUEST:
        return Window(dt.time(0), dt.time.max)
    whole = conf.window()
    part = PARTS.get(preference or ANY)
    if part is None:
        return whole
    start, end = max(part.start, whole.start), min(part.end, whole.end)
    return Window(start, end) if start < end else whole


def local_day(moment: dt.datetime, time_zone: str) -> dt.date:
    return moment.astimezone(zone(time_zone)).date()


def inside(moment: dt.datetime, time_zone: str, preference: str = ANY) -> bool:
    window = hours(preference)
    local = moment.astimezone(zone(time_zone)).time()
    return window.start <= local < window.end


def next_opening(moment: dt.datetime, time_zone: str, preference: str = ANY) -> dt.datetime:
    """``moment`` itself when inside the window, else the window's next start (aware, UTC)."""
    if inside(moment, time_zone, preference):
        return moment
    tz = zone(time_zone)
    window = hours(preference)
    local = moment.astimezone(tz)
    day = local.date() if local.time() < window.start else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, window.start, tzinfo=tz).astimezone(dt.UTC)


def opening_of(
    day: dt.date, time_zone: str, preference: str = ANY
) -> tuple[dt.datetime, dt.datetime]:
    """The window of a local day, as aware UTC start and end."""
    tz = zone(time_zone)
    window = hours(preference)
    start = dt.datetime.combine(day, window.start, tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day, window.end, tzinfo=tz).astimezone(dt.UTC)
    return start, end


def due_on(
    day: dt.date, now: dt.datetime, time_zone: str, preference: str = ANY
) -> dt.datetime | None:
    """When a message for local ``day`` goes out: the day's opening, or now if it is open.

    None once the day's window has closed: a question about today that
    arrived tomorrow would be wrong, and tomorrow has its own.
    """
    start, end = opening_of(day, time_zone, preference)
    if now >= end:
        return None
    return max(start, now)
