"""The directly written event header is, byte for byte, the canonical JSON of the header."""

from __future__ import annotations

import datetime as dt
import enum
import json
import random
from decimal import Decimal
from typing import Any

import pytest

from epitrace.audit.choices import Action
from epitrace.audit.hashing import canonical_json, event_header, header_json
from epitrace.audit.models import AuditEvent

TRICKY_TEXT = [
    "",
    "plain",
    'quote " and backslash \\',
    "control \x01\x1f\t\n\r\b\f and delete \x7f",
    "line and paragraph separators \u2028\u2029",
    "accents éàü, CJK 漢字, emoji 🦠, combining e\u0301",
    "</script><!--",
    "percent %s %d %% and braces {} {0}",
    "nul is stripped before, but \x00 still encodes the same",
]


class Level(enum.IntEnum):
    HIGH = 3


def _header(**overrides: Any) -> dict[str, Any]:
    event = AuditEvent(
        occurred_at=dt.datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=dt.UTC),
        chain="2026-03-14/007",
        seq=42,
        key_id="0123456789abcdef",
        actor_id=7,
        actor_label="tracer.a",
        action="read",
        object_type="cases.case",
        object_id="123",
        person_id=456,
        jurisdiction_id=3,
        ip="10.1.2.3",
        user_agent="Mozilla/5.0",
        reason="interview",
        payload_digest="ab" * 32,
        prev_hash="cd" * 32,
    )
    return {**event_header(event), **overrides}


def test_a_typical_header_is_written_as_the_encoder_writes_it() -> None:
    header = _header()
    assert header_json(header) == canonical_json(header)
    assert json.loads(header_json(header)) == header


@pytest.mark.parametrize("text", TRICKY_TEXT)
@pytest.mark.parametrize("field", ["actor_label", "reason", "user_agent", "object_id"])
def test_any_text_is_escaped_as_the_encoder_escapes_it(field: str, text: str) -> None:
    header = _header(**{field: text})
    assert header_json(header) == canonical_json(header)


@pytest.mark.parametrize(
    "value",
    [None, 0, -1, 2**63 - 1, 10**40, Action.READ, Level.HIGH, True, False, 1.5, Decimal("2")],
    ids=repr,
)
def test_nulls_numbers_subclasses_and_other_values_give_the_same_text(value: Any) -> None:
    for field in ("person_id", "jurisdiction_id", "actor_id", "ip", "action"):
        header = _header(**{field: value})
        assert header_json(header) == canonical_json(header)


def test_other_keys_take_the_general_path() -> None:
    header = _header()
    del header["ip"]
    assert header_json(header) == canonical_json(header)
    header["extra"] = None
    assert header_json(header) == canonical_json(header)
    header = _header(surplus="x")
    assert header_json(header) == canonical_json(header)


def test_random_headers_agree() -> None:
    rng = random.Random(1234)
    alphabet = [chr(c) for c in (*range(0x80), 0xE9, 0x2028, 0x1F9A0, 0xFFFD, 0x5B57)]
    for _ in range(500):
        text = {
            f: "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
            for f in ("actor_label", "reason", "user_agent", "object_type", "object_id")
        }
        numbers = {
            f: rng.choice([None, rng.randrange(-(2**70), 2**70)])
            for f in ("actor_id", "person_id", "jurisdiction_id", "seq")
        }
        header = _header(**text, **numbers)
        assert header_json(header) == canonical_json(header)
