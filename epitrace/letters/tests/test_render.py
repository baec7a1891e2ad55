"""Every kind of letter in every language: a valid PDF, read back, with the right facts."""

from __future__ import annotations

import datetime as dt
import io
import logging
import unicodedata
from typing import Any

import pytest
from pypdf import PdfReader

from epitrace.letters import services
from epitrace.letters.choices import LETTER_LANGUAGES, LetterKind
from epitrace.letters.languages import format_date
from epitrace.letters.pdf import render
from epitrace.letters.tests.conftest import TODAY, flat, pdf_text
from epitrace.testing import factories as f

# Names in each language's own script and diacritics.
NAMES = {
    "en": ("Jordan", "Rivera"),
    "es": ("María José", "Núñez"),
    "pt": ("João", "Conceição"),
    "ht": ("Wòlfsonn", "Désir"),
    "pl": ("Małgorzata", "Źrebiec-Łukasik"),
    "vi": ("Thị Hương", "Nguyễn"),
    "zh": ("秀英", "王"),
    "ar": ("فاطمة", "حداد"),
}
START, END = dt.date(2021, 3, 6), dt.date(2021, 3, 16)
LAST_EXPOSURE, QUARANTINE_END = dt.date(2021, 3, 5), dt.date(2021, 3, 15)
# Release letters end a quarantine in these languages, an isolation in the others.
EXPOSURE_RELEASES = frozenset({"es", "pl", "zh"})


def department():
    return f.JurisdictionFactory.create(
        name="Harbor Health District", phone="+18605550142", email="letters@harbor.example.org"
    )


def person(language: str, jurisdiction):
    given, family = NAMES[language]
    return f.PersonFactory.create(
        given_name=given,
        family_name=family,
        preferred_language=language,
        jurisdiction=jurisdiction,
    )


def letter_for(kind: str, language: str):
    jurisdiction = department()
    someone = person(language, jurisdiction)
    releases_quarantine = kind == LetterKind.RELEASE and language in EXPOSURE_RELEASES
    if kind == LetterKind.QUARANTINE or releases_quarantine:
        exposure = f.ExposureFactory.create(
            contact=someone,
            last_exposure_date=LAST_EXPOSURE,
            quarantine_end=QUARANTINE_END,
        )
        issued = services.exposure_letter(exposure, kind, language, today=TODAY)
        return someone, issued, (LAST_EXPOSURE, QUARANTINE_END)
    case = f.CaseFactory.create(
        person=someone, isolation_start=START, isolation_end=END, onset_date=START
    )
    return someone, services.case_letter(case, kind, language, today=TODAY), (START, END)


def assert_has_date(text: str, day: dt.date, language: str) -> None:
    written = format_date(day, language)
    if language == "zh":  # no spaces in Chinese; a line may break anywhere
        assert written in text.replace(" ", "")
    elif language == "ar":
        # Extraction follows the visual order, and a date may break across
        # lines: its parts are there (the exact wording is checked on the letter).
        day_number, month, year = written.split()
        assert month in text
        assert day_number in text
        assert year in text
    else:
        assert written in text


@pytest.mark.django_db
@pytest.mark.parametrize("language", LETTER_LANGUAGES)
@pytest.mark.parametrize("kind", LetterKind.values)
def test_each_letter_is_a_pdf_with_name_dates_and_embedded_fonts(
    kind: str, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    someone, issued, (start, end) = letter_for(kind, language)
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        content = render(issued.letter)
    assert content.startswith(b"%PDF-")
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 1
    assert reader.root_object["/Lang"] == language
    text = flat(pdf_text(content))
    assert issued.letter.recipient[0] == someone.full_name  # the address block
    assert text.count(someone.full_name) >= 2  # and the greeting
    assert "Harbor Health District" in text
    assert "(860) 555-0142" in text
    for day in (start, end, TODAY):
        assert_has_date(text, day, language)
        assert format_date(day, language) in flat(issued.letter.body + issued.letter.date)
    assert "{" not in text  # every placeholder was filled
    fonts = embedded_fonts(reader)
    assert fonts
    assert all(files for files in fonts.values()), fonts


@pytest.mark.django_db
@pytest.mark.parametrize("language", LETTER_LANGUAGES)
def test_every_character_of_the_wording_reaches_the_pdf(language: str) -> None:
    # A glyph missing from the embedded fonts would print as an empty box and
    # vanish from the text a reader extracts: the set of characters shows it.
    _, issued, _ = letter_for(LetterKind.ISOLATION, language)
    letter = issued.letter
    extracted = set(pdf_text(render(letter)))
    wording = unicodedata.normalize("NFC", letter.title + letter.body)
    expected = {c for c in wording if not c.isspace() and c not in "\u2068\u2069"}
    assert expected - extracted == set()


def embedded_fonts(reader: PdfReader) -> dict[str, list[str]]:
    """Each font of the first page and the font files embedded for it."""
    found: dict[str, list[str]] = {}
    resources: Any = reader.pages[0]["/Resources"]
    for ref in resources["/Font"].values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        found[str(font["/BaseFont"])] = [k for k in descriptor if k.startswith("/FontFile")]
    return found


@pytest.mark.django_db
def test_chinese_and_arabic_letters_embed_their_scripts_fonts() -> None:
    for language, expected in (("zh", "NotoSansCJKSC"), ("ar", "NotoNaskhArabic")):
        _, issued, _ = letter_for(LetterKind.ISOLATION, language)
        fonts = embedded_fonts(PdfReader(io.BytesIO(render(issued.letter))))
        assert any(name.endswith(expected) for name in fonts), fonts


@pytest.mark.django_db
def test_an_english_letter_to_an_english_name_leaves_the_chinese_font_out() -> None:
    _, issued, _ = letter_for(LetterKind.ISOLATION, "en")
    fonts = embedded_fonts(PdfReader(io.BytesIO(render(issued.letter))))
    assert not any("CJK" in name for name in fonts)


@pytest.mark.django_db
def test_a_chinese_name_in_an_english_letter_uses_the_chinese_font() -> None:
    jurisdiction = department()
    someone = person("zh", jurisdiction)
    case = f.CaseFactory.create(person=someone, isolation_start=START, isolation_end=END)
    issued = services.case_letter(case, LetterKind.ISOLATION, "en", today=TODAY)
    content = render(issued.letter)
    assert someone.full_name in flat(pdf_text(content))
    assert "Notice of home isolation" in pdf_text(content)


@pytest.mark.django_db
def test_the_arabic_letter_reads_right_to_left() -> None:
    _, issued, _ = letter_for(LetterKind.ISOLATION, "ar")
    content = render(issued.letter)
    reader = PdfReader(io.BytesIO(content))
    positions: list[float] = []

    def visitor(text: str, cm, tm, font, size) -> None:
        if "إشعار" in text:
            positions.append(tm[4])

    reader.pages[0].extract_text(visitor_text=visitor)
    # The title starts at the right margin side of the page.
    assert positions
    assert positions[0] > float(reader.pages[0].mediabox.width) / 2
