"""Lay a letter out as a PDF: letterhead, date, recipient, title, body.

fpdf2 does the typesetting with the fonts of ``fonts.py`` embedded (as
subsets of the glyphs used), HarfBuzz shapes the text (Arabic joining forms,
Vietnamese marks) and fpdf2's bidirectional algorithm orders mixed text: a
Latin name inside an Arabic sentence, an Arabic name inside an English one.
An Arabic letter is laid out right to left as a whole.

A body is plain text: paragraphs are separated by a blank line, a line
break inside a paragraph is kept, and a line that starts with "- " is a
bullet point.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fpdf import FPDF
from fpdf.bidi import auto_detect_base_direction
from fpdf.enums import Align, TextDirection, XPos, YPos

from epitrace.letters.choices import RIGHT_TO_LEFT
from epitrace.letters.fonts import (
    ARABIC,
    CJK,
    LATIN,
    Family,
    family_coverage,
    font_path,
    normalise,
)
from epitrace.letters.languages import LANGUAGES

# US Letter, in millimetres: what American printers and envelopes expect.
PAGE_FORMAT = "letter"
MARGIN = 22.0
BODY_SIZE = 11.0
LINE = 5.6
PARAGRAPH_GAP = 2.8
BULLET_INDENT = 6.0
INK = (33, 37, 41)
MUTED = (95, 99, 104)
ACCENT = (23, 78, 122)
WARNING = (176, 32, 32)
BULLET = "\u2022"


@dataclass(frozen=True)
class Letter:
    """Everything a letter shows, already in its language and with its placeholders filled."""

    language: str
    title: str
    body: str
    department: str
    department_phone: str
    department_email: str
    date: str
    recipient: tuple[str, ...] = field(default=())
    sample: bool = False

    def texts(self) -> list[str]:
        spec = LANGUAGES[self.language]
        return [
            self.title,
            self.body,
            self.department,
            self.department_phone,
            self.department_email,
            self.date,
            *self.recipient,
            spec.phone,
            spec.email,
            spec.sample if self.sample else "",
            BULLET,
        ]


class _LetterPDF(FPDF):
    """fpdf2's document with our page decorations: a sample watermark, page numbers."""

    def __init__(self, letter: Letter) -> None:
        super().__init__(format=PAGE_FORMAT, unit="mm")
        self.letter = letter
        self.rtl = letter.language in RIGHT_TO_LEFT
        self.main_family = LATIN.name

    # fpdf2 2.8.9 wraps a line that ends in a fallback font (an Arabic name in
    # an English letter) in q/Q, which drops the page's font, yet keeps it
    # marked as set: the next line would be printed with no font at all and
    # vanish. Marking it unset makes fpdf2 set it again before each line.
    def cell(self, *args: Any, **kwargs: Any) -> Any:
        self.current_font_is_set_on_page = False
        return super().cell(*args, **kwargs)

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
        self.current_font_is_set_on_page = False
        return super().multi_cell(*args, **kwargs)

    def header(self) -> None:
        if not self.letter.sample:
            return
        # Drawn first on every page, under the text: a sample must never pass for a letter.
        with self.local_context(fill_opacity=0.10, text_color=WARNING):
            self.set_font(LATIN.name, "B", 96)
            with self.rotation(52, self.w / 2, self.h / 2):
                width = self.get_string_width("SAMPLE")
                self.text(self.w / 2 - width / 2, self.h / 2 + 12, "SAMPLE")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(LATIN.name, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.page_no()}/{{nb}}", align=Align.C)


def render(letter: Letter) -> bytes:
    """The letter as the bytes of a PDF file."""
    pdf = _LetterPDF(letter)
    _set_up(pdf, letter)
    pdf.add_page()
    if letter.sample:
        _sample_banner(pdf, letter)
    _letterhead(pdf, letter)
    _recipient(pdf, letter)
    _title(pdf, letter)
    for paragraph in _paragraphs(letter.body):
        _paragraph(pdf, paragraph)
    return bytes(pdf.output())


def _set_up(pdf: _LetterPDF, letter: Letter) -> None:
    pdf.set_margins(MARGIN, 18, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    # The viewer's tab shows the title: without the invisible direction marks.
    pdf.set_title(letter.title.replace("\u2068", "").replace("\u2069", ""))
    pdf.set_lang(letter.language)
    pdf.set_creator("Epitrace")
    families = _families(letter)
    for family in families:
        pdf.add_font(family.name, "", font_path(family.regular))
        if family.bold:
            pdf.add_font(family.name, "B", font_path(family.bold))
    main, *fallbacks = families
    pdf.main_family = main.name
    pdf.set_font(main.name, "", BODY_SIZE)
    # exact_match=False: bold Chinese has no face of its own and takes the regular one.
    pdf.set_fallback_fonts([family.name for family in fallbacks], exact_match=False)
    pdf.set_text_shaping(use_shaping_engine=True, direction=_direction(pdf))


def _families(letter: Letter) -> list[Family]:
    """The main family first, then the fallbacks; Chinese only when a character needs it.

    The Chinese font is the heaviest by far: a letter in English to an
    English name need not load it.
    """
    main, second = (ARABIC, LATIN) if letter.language in RIGHT_TO_LEFT else (LATIN, ARABIC)
    families = [main, second]
    covered = family_coverage(LATIN) | family_coverage(ARABIC)
    text = normalise("".join(letter.texts()))
    if any(char not in covered and not char.isspace() for char in text):
        families.append(CJK)
    return families


def _direction(pdf: _LetterPDF) -> TextDirection:
    return TextDirection.RTL if pdf.rtl else TextDirection.LTR


def _start(pdf: _LetterPDF) -> Align:
    return Align.R if pdf.rtl else Align.L


def _end(pdf: _LetterPDF) -> Align:
    return Align.L if pdf.rtl else Align.R


def _line(pdf: _LetterPDF, text: str, *, height: float = LINE, align: Align | None = None) -> None:
    pdf.multi_cell(
        0,
        height,
        normalise(text),
        align=align or _start(pdf),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _own_line(pdf: _LetterPDF, text: str, *, height: float = LINE) -> None:
    """A line that stands alone (a name, an address): ordered by its own first letter.

    "12 Elm Street" keeps its number first on an Arabic letter, and an Arabic
    name reads right to left on an English one; the line still sits on the
    letter's side of the page.
    """
    direction = auto_detect_base_direction(normalise(text))
    pdf.set_text_shaping(use_shaping_engine=True, direction=direction)
    try:
        _line(pdf, text, height=height)
    finally:
        pdf.set_text_shaping(use_shaping_engine=True, direction=_direction(pdf))


def _sample_banner(pdf: _LetterPDF, letter: Letter) -> None:
    spec = LANGUAGES[letter.language]
    banner = LANGUAGES["en"].sample
    if letter.language != "en":
        banner = f"{banner}\n{spec.sample}"
    pdf.set_font(pdf.main_family, "B", 10)
    pdf.set_text_color(*WARNING)
    pdf.set_draw_color(*WARNING)
    pdf.multi_cell(
        0, 5, normalise(banner), border=1, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(4)


def _letterhead(pdf: _LetterPDF, letter: Letter) -> None:
    spec = LANGUAGES[letter.language]
    family = pdf.main_family
    pdf.set_font(family, "B", 15)
    pdf.set_text_color(*ACCENT)
    _own_line(pdf, letter.department, height=7)
    contact = [
        f"{label}: {value}"
        for label, value in (
            (spec.phone, letter.department_phone),
            (spec.email, letter.department_email),
        )
        if value
    ]
    if contact:
        pdf.set_font(family, "", 9.5)
        pdf.set_text_color(*MUTED)
        _line(pdf, "   ·   ".join(contact), height=5)
    pdf.ln(2)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(6)
    pdf.set_font(family, "", BODY_SIZE)
    pdf.set_text_color(*INK)
    _line(pdf, letter.date, align=_end(pdf))
    pdf.ln(2)


def _recipient(pdf: _LetterPDF, letter: Letter) -> None:
    for line in letter.recipient:
        _own_line(pdf, line)
    if letter.recipient:
        pdf.ln(6)


def _title(pdf: _LetterPDF, letter: Letter) -> None:
    family = pdf.main_family
    pdf.set_font(family, "B", 14)
    _line(pdf, letter.title, height=7)
    pdf.ln(3)
    pdf.set_font(family, "", BODY_SIZE)


def _paragraphs(body: str) -> Iterable[list[str]]:
    """Blocks of lines separated by blank lines."""
    block: list[str] = []
    for raw in body.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if line:
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _paragraph(pdf: _LetterPDF, lines: list[str]) -> None:
    for line in lines:
        if line.startswith("- "):
            _bullet(pdf, line[2:].strip())
        else:
            _line(pdf, line)
    pdf.ln(PARAGRAPH_GAP)


def _bullet(pdf: _LetterPDF, text: str) -> None:
    if pdf.will_page_break(LINE):
        pdf.add_page()
    top = pdf.get_y()
    width = pdf.epw - BULLET_INDENT
    bullet_x = pdf.w - pdf.r_margin - BULLET_INDENT if pdf.rtl else pdf.l_margin
    text_x = pdf.l_margin if pdf.rtl else pdf.l_margin + BULLET_INDENT
    pdf.set_xy(bullet_x, top)
    pdf.cell(BULLET_INDENT, LINE, BULLET, align=Align.C)
    pdf.set_xy(text_x, top)
    pdf.multi_cell(
        width, LINE, normalise(text), align=_start(pdf), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
