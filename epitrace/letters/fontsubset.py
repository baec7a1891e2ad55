"""Rebuild the letter fonts in data/fonts/ from full Noto fonts.

Run it after changing the shipped Chinese wording (its characters must be in
the Chinese subset) or to take newer Noto releases::

    python -m epitrace.letters.fontsubset /usr/share/fonts/truetype/noto \
        /usr/share/fonts/opentype/noto

The directories hold NotoSans-{Regular,Bold}.ttf, NotoNaskhArabic-{Regular,Bold}.ttf
and NotoSansCJK-Regular.ttc, as Debian's fonts-noto-core and fonts-noto-cjk
packages install them.
The Chinese subset keeps the 6,763 characters of GB 2312 (simplified) and the
5,401 common characters of Big5 (traditional), which cover the names of
nearly everyone, plus every character of the shipped Chinese letters; the
whole Noto CJK font would add 16 MB to the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from epitrace.letters.fonts import ARABIC, CJK, FONT_DIR, LATIN
from epitrace.letters.languages import LANGUAGES

DEFAULTS_DIR = Path(__file__).resolve().parent / "data" / "defaults"
CJK_COLLECTION = "NotoSansCJK-Regular.ttc"
CJK_SC_INDEX = 2  # the collection holds JP, KR, SC, TC, HK: SC is the third

LATIN_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x024F),  # Latin-1, Latin Extended-A and -B (Polish, Portuguese, Creole...)
    (0x02B0, 0x02FF),  # modifier letters (the okina and apostrophes of names)
    (0x0300, 0x036F),  # combining diacritics
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic: names of Russian and Ukrainian speakers
    (0x1E00, 0x1EFF),  # Latin Extended Additional: Vietnamese
    (0x2000, 0x206F),  # punctuation: dashes, quotes, bullet
    (0x20A0, 0x20CF),  # currency
    (0x2100, 0x214F),  # letterlike symbols (№)
)
ARABIC_RANGES = (
    (0x0020, 0x0040),  # space, digits, punctuation the Arabic font draws in its own style
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0x200C, 0x200F),  # joiners and direction marks
    (0x25CC, 0x25CC),  # dotted circle, for a lone combining mark
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)
CJK_RANGES = (
    (0x3000, 0x303F),  # CJK punctuation
    (0xFF00, 0xFFEF),  # full-width punctuation of Chinese text
)


def codepoints(ranges: Iterable[tuple[int, int]]) -> set[int]:
    return {code for start, end in ranges for code in range(start, end + 1)}


def _double_byte(codec: str, leads: range, trails: Iterable[int]) -> set[int]:
    found: set[int] = set()
    trail_bytes = list(trails)
    for lead in leads:
        for trail in trail_bytes:
            try:
                found.add(ord(bytes((lead, trail)).decode(codec)))
            except UnicodeDecodeError:
                continue
    return found


def chinese_characters() -> set[int]:
    gb2312 = _double_byte("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF))
    big5_common = _double_byte("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)])
    shipped = json.loads((DEFAULTS_DIR / "zh.json").read_text(encoding="utf-8"))
    texts = [json.dumps(shipped, ensure_ascii=False), *vars(LANGUAGES["zh"]).values()]
    used = {ord(char) for text in texts if isinstance(text, str) for char in text}
    return gb2312 | big5_common | used | codepoints(CJK_RANGES)


def write_subset(source: Path, target: Path, unicodes: set[int], *, features: bool) -> None:
    options = subset.Options()
    options.layout_features = ["*"] if features else []
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False  # PDF viewers do not use TrueType hinting
    number = CJK_SC_INDEX if source.suffix == ".ttc" else -1
    font = TTFont(source, fontNumber=number)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    font.save(target)
    sys.stderr.write(f"{target.name}: {target.stat().st_size:,} bytes\n")


def find(sources: list[Path], name: str) -> Path:
    for directory in sources:
        if (directory / name).exists():
            return directory / name
    raise SystemExit(f"{name} not found in {', '.join(map(str, sources))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="+", type=Path, help="directories with the Noto fonts")
    args = parser.parse_args(argv)
    latin, arabic = codepoints(LATIN_RANGES), codepoints(ARABIC_RANGES)
    for family, unicodes in ((LATIN, latin), (ARABIC, arabic)):
        for face in (family.regular, family.bold):
            if face:
                write_subset(find(args.sources, face), FONT_DIR / face, unicodes, features=True)
    write_subset(
        find(args.sources, CJK_COLLECTION),
        FONT_DIR / CJK.regular,
        chinese_characters(),
        features=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
