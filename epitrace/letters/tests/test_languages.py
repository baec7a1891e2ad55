"""Dates as each letter language writes them."""

from __future__ import annotations

import datetime as dt

import pytest

from epitrace.letters.choices import LETTER_LANGUAGES, letter_language
from epitrace.letters.languages import LANGUAGES, format_date

DAY = dt.date(2021, 3, 5)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "March 5, 2021"),
        ("es", "5 de marzo de 2021"),
        ("pt", "5 de março de 2021"),
        ("ht", "5 mas 2021"),
        ("pl", "5 marca 2021 r."),
        ("vi", "ngày 5 tháng 3 năm 2021"),
        ("zh", "2021年3月5日"),
        ("ar", "5 مارس 2021"),
    ],
)
def test_dates_are_written_for_the_language(language: str, expected: str) -> None:
    assert format_date(DAY, language) == expected


def test_every_letter_language_has_twelve_months() -> None:
    assert set(LANGUAGES) == set(LETTER_LANGUAGES)
    for spec in LANGUAGES.values():
        assert len(spec.months) == 12
        assert len(set(spec.months)) == 12


@pytest.mark.parametrize(
    ("preferred", "expected"),
    [("es", "es"), ("ES", "es"), ("pt-BR", "pt"), ("zh_Hant", "zh"), ("fr", "en"), ("", "en")],
)
def test_a_person_gets_their_language_or_english(preferred: str, expected: str) -> None:
    assert letter_language(preferred) == expected
