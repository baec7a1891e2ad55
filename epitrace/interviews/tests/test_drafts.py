"""The draft's rules without a database: what a save may hold, and which save wins."""

from __future__ import annotations

from typing import Any

import pytest

from epitrace.interviews.drafts import (
    MAX_CLOCK_AHEAD_MS,
    Change,
    DraftError,
    apply_changes,
    parse_changes,
)

NOW = 1_700_000_000_000


def body(**changes: tuple[Any, int]) -> dict[str, Any]:
    return {"changes": {k: {"value": v, "stamp": s} for k, (v, s) in changes.items()}}


def test_a_save_holds_known_fields_with_values_of_their_kind() -> None:
    parsed = parse_changes(
        {
            "changes": {
                "notes": {"value": "Prefers afternoons", "stamp": 5},
                "asymptomatic": {"value": True, "stamp": 6},
                "symptoms": {"value": ["cough", "fever"], "stamp": 7},
                "answers.vaccinated": {"value": "partial", "stamp": 8},
                "household": {
                    "value": [{"key": "r1", "given_name": "Ana", "family_name": "Ruiz"}],
                    "stamp": 9,
                },
            }
        },
        ["vaccinated"],
    )
    assert [c.key for c in parsed] == [
        "notes",
        "asymptomatic",
        "symptoms",
        "answers.vaccinated",
        "household",
    ]
    household = parsed[-1].value
    # Missing columns are stored empty, so every row has the same shape.
    assert household == [
        {
            "key": "r1",
            "given_name": "Ana",
            "family_name": "Ruiz",
            "birth_date": "",
            "relation": "",
            "guardian": "",
        }
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "expected an object"),
        ({"changes": []}, "expected an object"),
        (body(shoe_size=("44", 1)), "unknown interview field 'shoe_size'"),
        (body(**{"answers.unknown": ("x", 1)}), "unknown interview field"),
        (body(notes=(3, 1)), "notes: expected text"),
        (body(notes=("x" * 5001, 1)), "at most 5000 characters"),
        (body(asymptomatic=("yes", 1)), "expected true or false"),
        (body(symptoms=("cough", 1)), "expected a list"),
        (body(household=([{"given_name": "Ana"}], 1)), "needs a short 'key'"),
        (body(household=([{"key": "r1", "shoe": "44"}], 1)), "unknown column(s) shoe"),
        (body(household=([{"key": "r1"}, {"key": "r1"}], 1)), "appears twice"),
        ({"changes": {"notes": {"value": "x", "stamp": "soon"}}}, "'stamp' must be"),
        ({"changes": {"notes": {"value": "x", "stamp": True}}}, "'stamp' must be"),
        ({"changes": {"notes": {"stamp": 1}}}, "expected an object with 'value'"),
    ],
)
def test_a_malformed_save_is_refused_with_a_reason(raw: Any, message: str) -> None:
    with pytest.raises(DraftError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_changes(raw, ["vaccinated"])


def test_the_newest_edit_of_a_field_wins_whatever_order_the_saves_arrive_in() -> None:
    data: dict[str, Any] = {}
    stamps: dict[str, int] = {}
    newer = apply_changes(data, stamps, [Change("notes", "called back at 3", 200)], NOW)
    assert newer.applied == ["notes"]
    # The save typed earlier arrives late (a retry after a dropped connection).
    late = apply_changes(data, stamps, [Change("notes", "called back", 100)], NOW)
    assert late.applied == []
    assert late.saved == []
    assert late.stale == {"notes": "called back at 3"}
    assert data["notes"] == "called back at 3"
    assert stamps["notes"] == 200


def test_fields_are_judged_one_by_one() -> None:
    data: dict[str, Any] = {"notes": "kept", "needs_note": "old"}
    stamps = {"notes": 500, "needs_note": 100}
    result = apply_changes(
        data, stamps, [Change("notes", "stale", 400), Change("needs_note", "new", 450)], NOW
    )
    assert result.applied == ["needs_note"]
    assert result.stale == {"notes": "kept"}
    assert data == {"notes": "kept", "needs_note": "new"}


def test_a_resent_save_is_acknowledged_without_a_second_write() -> None:
    data: dict[str, Any] = {}
    stamps: dict[str, int] = {}
    apply_changes(data, stamps, [Change("answers.travel", "Boston", 10)], NOW)
    again = apply_changes(data, stamps, [Change("answers.travel", "Boston", 10)], NOW)
    assert again.saved == ["answers.travel"]
    assert again.applied == []
    assert data == {"answers": {"travel": "Boston"}}
    # Same stamp, other value: not this edit; the stored one stays.
    other = apply_changes(data, stamps, [Change("answers.travel", "Hartford", 10)], NOW)
    assert other.stale == {"answers.travel": "Boston"}


def test_a_later_edit_back_to_the_same_value_still_moves_the_stamp() -> None:
    data: dict[str, Any] = {"notes": "a"}
    stamps = {"notes": 10}
    result = apply_changes(data, stamps, [Change("notes", "a", 30)], NOW)
    assert result.saved == ["notes"]
    assert result.applied == []
    assert stamps["notes"] == 30
    # An edit typed between the two must not come back now.
    assert apply_changes(data, stamps, [Change("notes", "b", 20)], NOW).stale == {"notes": "a"}


def test_a_browser_clock_far_ahead_cannot_lock_a_field() -> None:
    data: dict[str, Any] = {}
    stamps: dict[str, int] = {}
    apply_changes(data, stamps, [Change("notes", "from a fast clock", NOW + 10**9)], NOW)
    assert stamps["notes"] == NOW + MAX_CLOCK_AHEAD_MS
    later = NOW + MAX_CLOCK_AHEAD_MS + 1
    result = apply_changes(data, stamps, [Change("notes", "a later edit", later)], later)
    assert result.applied == ["notes"]
