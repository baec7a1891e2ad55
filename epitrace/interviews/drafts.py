"""The interview draft: which fields it has, what a saved value may be, and who wins.

The browser saves a field as the tracer types (autosave) and keeps what it
could not send in localStorage, to send it when the connection returns. So
saves can arrive late, twice, or after a newer save of the same field, from
this tab or another. Each change carries the browser's edit time in
milliseconds (its *stamp*); the draft keeps, per field, the stamp of the
value it holds, and a change applies only when its stamp is newer. A resent
change (same stamp, same value) is acknowledged without a second write.

Values are kept as typed (a half-typed date is still the tracer's work);
completing the interview validates them (forms.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Field -> kind. "answers.<question key>" fields are added per profile.
TEXT_LIMITS = {
    "identity_name": 200,
    "identity_birth_date": 20,
    "identity_method": 20,
    "onset_date": 20,
    "isolation_address": 300,
    "needs_consent": 8,
    "needs_note": 1000,
    "notes": 5000,
}
BOOLEANS = ("asymptomatic", "isolating_at_home")
LISTS = ("symptoms", "needs")
# Rows: their columns, each a short text.
ROWS = {
    "household": ("given_name", "family_name", "birth_date", "relation", "guardian"),
    "settings": ("type", "name", "address", "first_date", "last_date"),
}
ROW_TEXT_LIMIT = 300
MAX_ROWS = 40
MAX_LIST = 60
ANSWER_TEXT_LIMIT = 2000
ANSWER_PREFIX = "answers."
# A browser clock running ahead would make its saves win over everyone's for
# as long as it is ahead: its stamps count as at most this far in the future.
MAX_CLOCK_AHEAD_MS = 10 * 60 * 1000
ROW_KEY = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
DEFAULTS: dict[str, Any] = {"isolating_at_home": True, "household": [], "settings": []}


class DraftError(ValueError):
    """A save the draft cannot hold (unknown field, wrong type, too long)."""


@dataclass(frozen=True)
class Change:
    key: str
    value: Any
    stamp: int


@dataclass
class SaveResult:
    """What came of a save: fields now holding the sent value, and fields a newer edit holds."""

    saved: list[str] = field(default_factory=list)
    stale: dict[str, Any] = field(default_factory=dict)  # key -> the newer value kept
    applied: list[str] = field(default_factory=list)  # saved and different from before


def parse_changes(raw: Any, question_keys: Iterable[str]) -> list[Change]:
    """The changes of a save request body (``{"changes": {key: {value, stamp}}}``)."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("changes"), Mapping):
        raise DraftError("expected an object with a 'changes' object")
    answers = {f"{ANSWER_PREFIX}{key}" for key in question_keys}
    changes = []
    for key, body in raw["changes"].items():
        if not isinstance(body, Mapping) or "value" not in body:
            raise DraftError(f"{key}: expected an object with 'value' and 'stamp'")
        stamp = body.get("stamp")
        if not isinstance(stamp, int) or isinstance(stamp, bool) or stamp < 0:
            raise DraftError(f"{key}: 'stamp' must be a non-negative integer (milliseconds)")
        changes.append(Change(key, clean_value(key, body["value"], answers), stamp))
    return changes


def clean_value(key: str, value: Any, answers: set[str]) -> Any:
    """``value`` if ``key`` may hold it, else DraftError saying why."""
    if key in TEXT_LIMITS:
        return _text(key, value, TEXT_LIMITS[key])
    if key in BOOLEANS:
        if not isinstance(value, bool):
            raise DraftError(f"{key}: expected true or false")
        return value
    if key in LISTS:
        return _strings(key, value)
    if key in ROWS:
        return _rows(key, value, ROWS[key])
    if key in answers:
        if isinstance(value, list):
            return _strings(key, value)
        return _text(key, value, ANSWER_TEXT_LIMIT)
    raise DraftError(f"unknown interview field {key!r}")


def _text(key: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise DraftError(f"{key}: expected text")
    if len(value) > limit:
        raise DraftError(f"{key}: at most {limit} characters")
    return value


def _strings(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise DraftError(f"{key}: expected a list of at most {MAX_LIST} values")
    return [_text(key, item, 64) for item in value]


def _rows(key: str, value: Any, columns: tuple[str, ...]) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > MAX_ROWS:
        raise DraftError(f"{key}: expected a list of at most {MAX_ROWS} rows")
    rows, seen = [], set()
    for row in value:
        if not isinstance(row, Mapping) or not ROW_KEY.match(str(row.get("key", ""))):
            raise DraftError(f"{key}: every row needs a short 'key' (letters, digits, - or _)")
        extra = set(row) - {"key", *columns}
        if extra:
            raise DraftError(f"{key}: unknown column(s) {', '.join(sorted(extra))}")
        if row["key"] in seen:
            raise DraftError(f"{key}: row key {row['key']!r} appears twice")
        seen.add(row["key"])
        rows.append(
            {"key": row["key"], **{c: _text(key, row.get(c, ""), ROW_TEXT_LIMIT) for c in columns}}
        )
    return rows


def value_of(data: Mapping[str, Any], key: str) -> Any:
    """The draft's value of ``key`` (``answers.<q>`` reads the answers), or its default."""
    if key.startswith(ANSWER_PREFIX):
        return (data.get("answers") or {}).get(key[len(ANSWER_PREFIX) :])
    return data.get(key, DEFAULTS.get(key))


def apply_changes(
    data: dict[str, Any], stamps: dict[str, int], changes: Iterable[Change], now_ms: int
) -> SaveResult:
    """Apply the changes newer than what the draft holds, in place; see the module docstring."""
    result = SaveResult()
    for change in changes:
        stamp = min(change.stamp, now_ms + MAX_CLOCK_AHEAD_MS)
        held = stamps.get(change.key, -1)
        current = value_of(data, change.key)
        if stamp < held or (stamp == held and current != change.value):
            result.stale[change.key] = current
            continue
        if stamp > held and current != change.value:
            _set(data, change.key, change.value)
            result.applied.append(change.key)
        stamps[change.key] = max(stamp, held)
        result.saved.append(change.key)
    return result


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if key.startswith(ANSWER_PREFIX):
        answers = dict(data.get("answers") or {})
        answers[key[len(ANSWER_PREFIX) :]] = value
        data["answers"] = answers
    else:
        data[key] = value
