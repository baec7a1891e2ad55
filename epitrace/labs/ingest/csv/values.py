"""Cell values of the lab CSV format: dates, statuses, sex, phones."""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers

PHONE_REGION = "US"
# YYYYMMDD, optionally followed by HHMM[SS[.fff]] and an offset (HL7 style).
_COMPACT = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?([+-]\d{4}|Z)?)?"
)
STATUSES = {
    "P": "P",
    "PRELIMINARY": "P",
    "F": "F",
    "FINAL": "F",
    "C": "C",
    "CORRECTED": "C",
    "AMENDED": "C",
    "X": "X",
    "CANCELLED": "X",
    "CANCELED": "X",
    "ENTERED-IN-ERROR": "X",
}
SEXES = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F", "O": "O", "OTHER": "O"}


class BadValue(ValueError):
    """A cell that cannot be read; the message says what was expected."""


def parse_moment(value: str) -> dt.datetime | dt.date | None:
    """ISO 8601 or YYYYMMDD[HHMM[SS]][+ZZZZ]; a date alone stays a date, no offset stays naive."""
    value = value.strip()
    if not value:
        return None
    compact = _COMPACT.fullmatch(value)
    try:
        if compact:
            return _compact(compact)
        if len(value) <= 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(
            f"{value!r} is not a date (use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS+HH:MM or YYYYMMDD)"
        ) from None


def _compact(match: re.Match[str]) -> dt.datetime | dt.date:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    date = dt.date(int(year), int(month), int(day))
    if hour is None:
        return date
    tz: dt.tzinfo | None = None
    if zone == "Z":
        tz = dt.UTC
    elif zone:
        offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:]))
        tz = dt.timezone(-offset if zone[0] == "-" else offset)
    micro = int((fraction or "0").ljust(6, "0"))
    time = dt.time(int(hour), int(minute), int(second or 0), micro, tzinfo=tz)
    return dt.datetime.combine(date, time)


def parse_date(value: str) -> dt.date | None:
    moment = parse_moment(value)
    return moment.date() if isinstance(moment, dt.datetime) else moment


def parse_status(value: str) -> str:
    """P, F, C or X (HL7 OBX-11), from the letter or the word; "" when empty."""
    if not value.strip():
        return ""
    try:
        return STATUSES[value.strip().upper()]
    except KeyError:
        raise BadValue(
            f"{value!r} is not a result status (P, F, C, X or preliminary, final, "
            "corrected, cancelled)"
        ) from None


def parse_sex(value: str) -> str:
    """M, F, O, or U for anything else (unknown, blank, or a value we do not know)."""
    return SEXES.get(value.strip().upper(), "U")


def phones(value: str) -> list[str]:
    """Numbers separated by ``;`` in E.164 (US default), each as sent when not a valid number."""
    return [_e164(p.strip()) for p in value.split(";") if p.strip()]


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
