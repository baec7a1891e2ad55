"""The fonts letters are printed with, and which characters they can print.

The fonts are subsets of Google's Noto fonts (SIL Open Font License 1.1,
data/fonts/OFL.txt), committed under data/fonts/ so a letter prints on a
machine with no fonts installed and no network. ``fontsubset.py`` rebuilds
them. Each family's Unicode coverage is read once from its cmap table: the
template form refuses a character no font has, and a letter whose data holds
one is refused rather than printed with an empty box.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONT_DIR = Path(__file__).resolve().parent / "data" / "fonts"


@dataclass(frozen=True)
class Family:
    name: str  # the name fpdf2 knows it by
    regular: str
    bold: str | None  # None: bold text falls back to the regular face


LATIN = Family("latin", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
ARABIC = Family("arabic", "NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf")
# One weight only: the Chinese subset is the largest file by far.
CJK = Family("cjk", "NotoSansCJKsc-Regular.otf", None)
FAMILIES = (LATIN, ARABIC, CJK)

# Characters that are layout, not ink: no font needs a glyph for them.
_NOT_INK = frozenset("\n\r\t\u200c\u200d\u200e\u200f")


def font_path(filename: str) -> Path:
    return FONT_DIR / filename


@cache
def coverage(filename: str) -> frozenset[str]:
    """Every character the font file has a glyph for."""
    font = TTFont(font_path(filename), lazy=True)
    try:
        return frozenset(chr(code) for code in font.getBestCmap())
    finally:
        font.close()


def family_coverage(family: Family) -> frozenset[str]:
    covered = coverage(family.regular)
    return covered & coverage(family.bold) if family.bold else covered


def normalise(text: str) -> str:
    """NFC: one precomposed character where the fonts have one (Vietnamese above all)."""
    return unicodedata.normalize("NFC", text)


def missing_characters(texts: Iterable[str]) -> list[str]:
    """The characters of ``texts`` that no letter font can print, in order of appearance."""
    covered = frozenset().union(*(family_coverage(family) for family in FAMILIES))
    missing: dict[str, None] = {}
    for text in texts:
        for char in normalise(text):
            if char not in covered and char not in _NOT_INK:
                missing[char] = None
    return list(missing)


def describe(chars: Iterable[str]) -> str:
    """``“ꙮ” (U+A66E CYRILLIC LETTER MULTIOCULAR O)``, for error messages."""
    return ", ".join(
        f"“{char}” (U+{ord(char):04X} {unicodedata.name(char, 'unnamed')})" for char in chars
    )
