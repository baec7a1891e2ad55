"""The send window: people are messaged between 08:00 and 20:00 of their own time.

A message due outside the window waits for its next opening; a retry
pushed past the evening goes out the next morning, never at night.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

from django.conf import settings

from epitrace.outreach import conf


@cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_day(moment: dt.datetime, time_zone: str) -> dt.date:
    return moment.astimezone(zone(time_zone)).date()


def inside(moment: dt.datetime, time_zone: str) -> bool:
    hours = conf.window()
    local = moment.astimezone(zone(time_zone)).time()
    return hours.start <= local < hours.end


def next_opening(moment: dt.datetime, time_zone: str) -> dt.datetime:
    """``moment`` itself when inside the window, else the window's next start (aware, UTC)."""
    if inside(moment, time_zone):
        return moment
    tz = zone(time_zone)
    hours = conf.window()
    local = moment.astimezone(tz)
    day = local.date() if local.time() < hours.start else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, hours.start, tzinfo=tz).astimezone(dt.UTC)


def opening_of(day: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The window of a local day, as aware UTC start and end."""
    tz = zone(time_zone)
    hours = conf.window()
    start = dt.datetime.combine(day, hours.start, tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day, hours.end, tzinfo=tz).astimezone(dt.UTC)
    return start, end
