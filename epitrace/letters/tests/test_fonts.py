"""The committed fonts can print every letter language, and say so when they cannot."""

from __future__ import annotations

import pytest

from epitrace.letters.choices import LETTER_LANGUAGES
from epitrace.letters.defaults import shipped
from epitrace.letters.fonts import (
    ARABIC,
    CJK,
    FAMILIES,
    FONT_DIR,
    LATIN,
    family_coverage,
    missing_characters,
)
from epitrace.letters.languages import LANGUAGES
from epitrace.letters.models import LetterTemplateVersion
from epitrace.letters.services import SAMPLE_NAMES
from epitrace.people.choices import LANGUAGE_NAMES


def ink(text: str) -> set[str]:
    return {char for char in text if not char.isspace()}


@pytest.mark.parametrize("wording", shipped(), ids=lambda w: f"{w.language}-{w.kind}")
def test_the_fonts_have_a_glyph_for_every_character_of_the_shipped_wording(wording) -> None:
    assert missing_characters([wording.title, wording.body]) == []


@pytest.mark.parametrize("language", LETTER_LANGUAGES)
def test_the_fonts_have_the_letterhead_labels_and_sample_names(language: str) -> None:
    spec = LANGUAGES[language]
    texts = [spec.phone, spec.email, spec.sample, *spec.months, SAMPLE_NAMES[language]]
    assert missing_characters(texts) == []


@pytest.mark.django_db
def test_every_installed_template_version_is_printable() -> None:
    versions = LetterTemplateVersion.objects.all()
    assert versions.count() == 24
    for version in versions:
        assert missing_characters([version.title, version.body]) == [], version


def test_each_script_is_drawn_by_its_own_family() -> None:
    # Fallbacks pick the first family with the glyph: Vietnamese must not end
    # up in the Chinese font's Latin letters, nor Arabic in a Latin font.
    by_language = {wording.language: wording for wording in shipped()}
    vietnamese = ink(by_language["vi"].body) - set("{}_")
    assert vietnamese <= family_coverage(LATIN)
    arabic = {char for char in by_language["ar"].body if "\u0600" <= char <= "\u06ff"}
    assert arabic
    assert arabic <= family_coverage(ARABIC)
    han = {char for char in by_language["zh"].body if "\u4e00" <= char <= "\u9fff"}
    assert han
    assert han <= family_coverage(CJK)


def test_common_chinese_names_are_covered_in_both_scripts() -> None:
    simplified = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧"
    traditional = "陳黃楊劉張趙吳鄭謝許蕭馮鄧曾彭蘇盧蔣蔡賴葉"
    assert missing_characters([simplified, traditional]) == []


def test_a_character_outside_every_font_is_reported() -> None:
    # Korean is offered as a preferred language but has no letters: a Hangul
    # name cannot be printed, and must be caught before a letter shows boxes.
    assert missing_characters(["김민준 Kim", "ꙮ"]) == ["김", "민", "준", "ꙮ"]
    assert "ko" in LANGUAGE_NAMES


def test_the_font_files_and_their_licence_are_committed() -> None:
    for family in FAMILIES:
        for face in (family.regular, family.bold):
            if face:
                path = FONT_DIR / face
                assert path.stat().st_size > 50_000, face
    licence = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    total = sum(path.stat().st_size for path in FONT_DIR.iterdir())
    assert total < 3_500_000  # the repository stays light: a Chinese subset, not the whole font
