"""HL7 v2 date/time values (DTM, and TS/DT whose first component is one).

The format is ``YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]``. What comes back:

- hour precision or finer: a ``datetime``; with the sender's UTC offset as a
  fixed ``timezone`` when one is given, **naive** when none is (HL7 then means
  the sender's local time: the pipeline assumes the state's time zone, the
  parser does not guess);
- day precision: a ``date`` (an offset on a bare date is meaningless and dropped);
- year or month precision (``2023``, ``202311``), year 0000, impossible dates,
  malformed offsets or stray characters: ``None``, never an exception. A
  partial date cannot be told apart from a made-up first of the month later,
  so it is not invented here.
"""

from __future__ import annotations

import datetime as dt
import re

_DTM = re.compile(
    r"(\d{4})(?:(\d\d)(?:(\d\d)(?:(\d\d)(?:(\d\d)(?:(\d\d)(?:\.(\d{1,9}))?)?)?)?)?)?"
    r"(?:([+-])(\d\d)(\d\d)|Z)?"
)
_UTC_MARK = "Z"  # not HL7, but some senders append it; it means UTC as in ISO 8601


def parse_dtm(raw: str) -> dt.datetime | dt.date | None:
    """Parse one HL7 DTM value (see the module docstring for what precision gives)."""
    match = _DTM.fullmatch(raw.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    if day is None:
        return None  # year or month precision: no date to give
    try:
        tz = _offset(sign, off_h, off_m, raw)
        if hour is None:
            return dt.date(int(year), int(month), int(day))
        micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
        # naive on purpose when the sender gave no offset (see module docstring)
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError:  # month 13, hour 24, offset beyond a day...
        return None


def parse_date(raw: str) -> dt.date | None:
    """The calendar date of a DTM as the sender wrote it (birth and death
    dates), or ``None`` when less precise than a day."""
    value = parse_dtm(raw)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def parse_datetime(raw: str) -> dt.datetime | None:
    """A DTM as a ``datetime``; a bare date becomes midnight (naive), for
    fields such as MSH-7 that are typed as a moment."""
    value = parse_dtm(raw)
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)  # noqa: DTZ001 - see docstring


def _offset(sign: str | None, hours: str | None, minutes: str | None, raw: str) -> dt.tzinfo | None:
    if sign is None:
        return dt.UTC if raw.rstrip().endswith(_UTC_MARK) else None
    if int(minutes or 0) >= 60:
        raise ValueError("offset minutes")
    delta = dt.timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    # timezone() rejects offsets of a day or more with ValueError, handled above.
    return dt.timezone(-delta if sign == "-" else delta)
