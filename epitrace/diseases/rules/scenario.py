"""Rule scenarios: one monitoree at one moment, as a JSON object, and what the rules say.

The format is the one of ../shared/testdata/rules/saraalert/SCENARIOS.md
(``epitrace rules check`` reads it). :func:`parse` turns one line into a
:class:`Scenario` or raises :class:`ScenarioError` saying what is wrong;
:func:`evaluate` computes every output; :func:`compare` checks the keys a
scenario expects.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from epitrace.diseases.rules import monitoring as m
from epitrace.diseases.rules.params import RuleParameters

OUTPUT_KEYS = (
    "end_of_monitoring",
    "being_monitored",
    "monitoring_complete",
    "close_eligible",
    "recovery",
    "reduced_quarantine_10",
    "reduced_quarantine_7",
    "reminder_eligible",
    "symptom_onset",
)


class ScenarioError(ValueError):
    """A scenario line that cannot be evaluated, with the reason."""


@dataclass(frozen=True)
class Scenario:
    id: str | None
    profile: str
    situation: m.Situation
    expected: dict[str, Any]


def evaluate(params: RuleParameters, s: m.Situation) -> dict[str, Any]:
    """Every output of SCENARIOS.md for ``s``, as JSON values (dates as YYYY-MM-DD)."""
    close = m.close_eligible(params, s)
    recovered = m.recovery(params, s)
    end = m.end_of_monitoring(params, s)
    onset = m.symptom_onset(s)
    return {
        "end_of_monitoring": end.isoformat() if isinstance(end, dt.date) else end,
        "being_monitored": m.being_monitored(params, s),
        "monitoring_complete": m.monitoring_complete(params, s),
        "close_eligible": None if close is None else str(close),
        "recovery": None if recovered is None else str(recovered),
        "reduced_quarantine_10": m.reduced_quarantine_10(params, s),
        "reduced_quarantine_7": m.reduced_quarantine_7(params, s),
        "reminder_eligible": m.reminder_eligible(params, s),
        "symptom_onset": None if onset is None else onset.isoformat(),
    }


def compare(expected: Mapping[str, Any], got: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, expected, got) for each expected key whose value differs."""
    return [
        (key, want, got.get(key, "(no such output)"))
        for key, want in expected.items()
        if key not in got or got[key] != want
    ]


def parse(line: str, *, default_zone: str) -> Scenario:
    """One JSON line as a scenario; ScenarioError names the field that is wrong."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a JSON object")
    raw_id = data.get("id")
    profile = data.get("profile")
    if not isinstance(profile, str) or not profile:
        raise ScenarioError("'profile' must name a disease profile")
    expected = data.get("expected") or {}
    if not isinstance(expected, dict):
        raise ScenarioError("'expected' must be an object")
    now = _moment(data.get("now"), "now")
    if now is None:
        raise ScenarioError("'now' is required")
    zone = _zone(data.get("timezone") or default_zone)
    record = _record(_object(data, "record"), now)
    reports = tuple(_report(item, i) for i, item in enumerate(_list(data, "reports")))
    labs = tuple(_lab(item, i) for i, item in enumerate(_list(data, "labs")))
    situation = m.Situation(record=record, now=now, zone=zone, reports=reports, labs=labs)
    return Scenario(None if raw_id is None else str(raw_id), profile, situation, expected)


def _object(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise ScenarioError(f"'{name}' must be an object")
    return value


def _list(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data.get(name) or []
    if not isinstance(value, list):
        raise ScenarioError(f"'{name}' must be a list")
    return value


def _zone(name: Any) -> ZoneInfo:
    if not isinstance(name, str):
        raise ScenarioError("'timezone' must be an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScenarioError(f"unknown time zone {name!r}") from None


def _moment(value: Any, name: str) -> dt.datetime | None:
    """A timestamp; one without an offset is UTC (SCENARIOS.md: timestamps are UTC)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ScenarioError(f"'{name}' must be an ISO 8601 timestamp")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ScenarioError(f"'{name}' is not an ISO 8601 timestamp: {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _date(value: Any, name: str) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ScenarioError(f"'{name}' must be a date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ScenarioError(f"'{name}' is not a date (YYYY-MM-DD): {value!r}") from None


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"'{name}' must be true or false")
    return value


def _text(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ScenarioError(f"'{name}' must be text or null")
    return value


_RECORD_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "open": _bool,
    "purged": _bool,
    "last_exposure_date": _date,
    "continuous_exposure": _bool,
    "user_symptom_onset": _date,
    "extended_isolation": _date,
    "notifications_paused": _bool,
    "contact_method": _text,
    "reports_for_self": _bool,
    "active_dependents": _bool,
    "last_reminder_sent_at": _moment,
}


def _record(data: Mapping[str, Any], now: dt.datetime) -> m.Monitoree:
    """The record; fields left out take SCENARIOS.md's defaults (enrolled and updated now)."""
    workflow = data.get("workflow", m.Workflow.ISOLATION)
    if workflow not in m.Workflow.__members__.values():
        raise ScenarioError("'record.workflow' must be 'exposure' or 'isolation'")
    values: dict[str, Any] = {
        name: read(data[name], f"record.{name}")
        for name, read in _RECORD_FIELDS.items()
        if name in data and not (data[name] is None and read is _bool)
    }
    action = data.get("public_health_action")
    if action is not None and not isinstance(action, str):
        raise ScenarioError("'record.public_health_action' must be text")
    return m.Monitoree(
        workflow=m.Workflow(workflow),
        enrolled_at=_moment(data.get("enrolled_at"), "record.enrolled_at") or now,
        updated_at=_moment(data.get("updated_at"), "record.updated_at") or now,
        # Any recommended action other than "none" keeps a person open for review.
        public_health_action=(action or "none").strip().lower(),
        **values,
    )


def _report(item: Any, index: int) -> m.Report:
    if not isinstance(item, dict):
        raise ScenarioError(f"reports[{index}] must be an object")
    at = _moment(item.get("at"), f"reports[{index}].at")
    if at is None:
        raise ScenarioError(f"reports[{index}] needs 'at'")
    return m.Report(
        at=at,
        symptomatic=_bool(item.get("symptomatic", False), f"reports[{index}].symptomatic"),
        fever=_bool(item.get("fever", False), f"reports[{index}].fever"),
    )


def _lab(item: Any, index: int) -> m.Lab:
    if not isinstance(item, dict):
        raise ScenarioError(f"labs[{index}] must be an object")
    result = _text(item.get("result"), f"labs[{index}].result")
    if not result:
        raise ScenarioError(f"labs[{index}] needs 'result'")
    return m.Lab(
        specimen_date=_date(item.get("specimen_date"), f"labs[{index}].specimen_date"),
        result=result.strip().lower(),
        test_type=_text(item.get("test_type"), f"labs[{index}].test_type"),
    )
