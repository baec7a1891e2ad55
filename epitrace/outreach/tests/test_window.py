"""The send window and a person's preferred part of the day."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest

from epitrace.outreach.window import due_on, hours, inside, next_opening

NY = zoneinfo.ZoneInfo("America/New_York")
DAY = dt.date(2026, 3, 10)


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=NY)


@pytest.mark.parametrize(
    ("window", "preference", "expected"),
    [
        ("08:00-20:00", "any", (8, 20)),
        ("08:00-20:00", "morning", (8, 12)),
        ("08:00-20:00", "afternoon", (12, 16)),
        ("08:00-20:00", "evening", (16, 20)),
        ("09:00-18:00", "evening", (16, 18)),  # cut to the configured window
        ("09:00-11:00", "evening", (9, 11)),  # no overlap: the whole window
        ("08:00-20:00", "unknown", (8, 20)),
    ],
)
def test_a_preference_narrows_the_window(
    settings: Any, window: str, preference: str, expected: tuple[int, int]
) -> None:
    settings.EPITRACE_OUTREACH_WINDOW = window
    got = hours(preference)
    assert (got.start.hour, got.end.hour) == expected


def test_messages_wait_for_the_preferred_part_of_the_day(settings: Any) -> None:
    settings.EPITRACE_OUTREACH_WINDOW = "08:00-20:00"
    assert inside(_at(9), "America/New_York", "any")
    assert not inside(_at(9), "America/New_York", "evening")
    assert next_opening(_at(9), "America/New_York", "evening") == _at(16)
    # After the evening part, the next evening; after the morning part, the next morning.
    assert next_opening(_at(20, 30), "America/New_York", "evening") == (
        _at(16) + dt.timedelta(days=1)
    )
    assert next_opening(_at(12), "America/New_York", "morning") == _at(8) + dt.timedelta(days=1)


def test_a_days_question_is_due_at_its_opening_and_never_late(settings: Any) -> None:
    settings.EPITRACE_OUTREACH_WINDOW = "08:00-20:00"
    zone = "America/New_York"
    assert due_on(DAY, _at(6), zone, "afternoon") == _at(12)
    assert due_on(DAY, _at(13), zone, "afternoon") == _at(13)
    assert due_on(DAY, _at(16), zone, "afternoon") is None
    assert due_on(DAY, _at(16), zone, "evening") == _at(16)
