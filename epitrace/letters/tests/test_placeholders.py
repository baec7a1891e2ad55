"""Placeholders: found, checked against the letter's kind, filled."""

from __future__ import annotations

import pytest

from epitrace.letters import placeholders
from epitrace.letters.choices import LetterKind


def test_used_lists_names_in_order_once() -> None:
    text = "Dear {person_name}, until {end_date}. {person_name} again, { letter_date }."
    assert placeholders.used(text) == ["person_name", "end_date", "letter_date"]


def test_known_placeholders_pass_for_their_kind() -> None:
    assert placeholders.problems("{isolation_end} {department_phone}", "isolation") == []
    assert placeholders.problems("{last_exposure_date} {quarantine_end}", "quarantine") == []
    assert placeholders.problems("{start_date} to {end_date}", "release") == []


def test_an_unknown_placeholder_is_named() -> None:
    [problem] = placeholders.problems("Call {department_fone} today.", "isolation")
    assert "{department_fone}" in problem
    assert "Unknown placeholder" in problem


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("quarantine_end", LetterKind.ISOLATION),
        ("isolation_start", LetterKind.QUARANTINE),
        ("isolation_end", LetterKind.RELEASE),  # a release may end a quarantine
    ],
)
def test_a_placeholder_of_another_kind_is_refused(name: str, kind: LetterKind) -> None:
    [problem] = placeholders.problems("{" + name + "}", kind)
    assert "{" + name + "}" in problem
    assert str(kind.label) in problem


@pytest.mark.parametrize("text", ["Dear {person_name,", "Dear person_name}", "{{person_name}}"])
def test_a_stray_brace_is_refused(text: str) -> None:
    assert any("brace" in problem for problem in placeholders.problems(text, "release"))


def test_every_kind_offers_the_common_placeholders() -> None:
    for kind in LetterKind:
        names = {placeholder.name for placeholder in placeholders.available(kind)}
        assert {"person_name", "letter_date", "department_name", "department_phone"} <= names
        assert {"start_date", "end_date"} <= names


def test_fill_replaces_each_placeholder() -> None:
    text = "Dear {person_name}, stay home until { end_date }."
    values = {"person_name": "Ana", "end_date": "March 1, 2021"}
    assert placeholders.fill(text, values) == "Dear Ana, stay home until March 1, 2021."
