"""FHIR date, dateTime and instant values.

A value with an offset becomes an aware datetime keeping that offset (the
sender's local time is evidence); one without an offset stays naive (the
pipeline assumes the state's zone); a bare date stays a date. Year-only and
year-month values are too coarse for a specimen or a birth date and give None.
Readable-but-sloppy forms are taken (no seconds, a space for the T, +0000);
anything else raises :class:`Unreadable`.
"""

from __future__ import annotations

import datetime as dt
import re

_PATTERN = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?)?)?)?"
)


class Unreadable(ValueError):
    """The value is not a FHIR date/dateTime/instant."""


def parse_timestamp(value: str) -> dt.datetime | dt.date | None:
    """A FHIR date/dateTime/instant as a datetime or a date (None if coarser than a day)."""
    match = _PATTERN.fullmatch(value.strip())
    if not match:
        raise Unreadable(value)
    parts = match.groupdict()
    if parts["day"] is None:
        return None
    try:
        day = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        if parts["hour"] is None:
            return day
        moment = dt.time(
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0")[:6].ljust(6, "0")),
            tzinfo=_zone(parts["zone"]),
        )
    except ValueError as exc:  # month 13, hour 25, offset +30:00...
        raise Unreadable(value) from exc
    return dt.datetime.combine(day, moment)


def parse_date(value: str) -> dt.date | None:
    """A full calendar date (a birth date); the date part of a dateTime is taken."""
    parsed = parse_timestamp(value)
    return parsed.date() if isinstance(parsed, dt.datetime) else parsed


def _zone(zone: str | None) -> dt.tzinfo | None:
    if zone is None:
        return None
    if zone == "Z":
        return dt.UTC
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes >= 60:
        raise ValueError(f"offset {zone} out of range")
    offset = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-offset if zone[0] == "-" else offset)
