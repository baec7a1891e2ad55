"""Shared helpers of the rule tests: shipped parameters, situations at a moment."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from epitrace.diseases.reference import REFERENCE_FILE
from epitrace.diseases.rules import Lab, Monitoree, Report, RuleParameters, Situation, Workflow

# Sara Alert's tests move the patient through these zones (Eastern by default,
# Minnesota, Montana, Florida); Los Angeles, Honolulu and Guam add a zone where
# 18:00 UTC is still the morning, and one where it is already the next day.
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Pacific/Guam",
)


def shipped(key: str) -> dict[str, Any]:
    data = json.loads(REFERENCE_FILE.read_text())
    return next(p["parameters"] for p in data["profiles"] if p["key"] == key)


def params(key: str = "covid-19-saraalert-2022", **overrides: Any) -> RuleParameters:
    return RuleParameters.from_mapping({**shipped(key), **overrides}, key=key)


def at(day: dt.date, zone: str, hour: int = 12) -> dt.datetime:
    """A moment on ``day`` at ``hour`` local time."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(zone))


def situation(
    zone: str = "America/New_York",
    *,
    now: dt.datetime,
    reports: tuple[Report, ...] = (),
    labs: tuple[Lab, ...] = (),
    **record: Any,
) -> Situation:
    record.setdefault("workflow", Workflow.EXPOSURE)
    record.setdefault("enrolled_at", now)
    record.setdefault("updated_at", now)
    return Situation(
        record=Monitoree(**record), now=now, zone=ZoneInfo(zone), reports=reports, labs=labs
    )
