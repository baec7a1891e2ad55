"""Every translation catalogue ships compiled and current, and the shipped languages are whole.

The ``.mo`` files are committed so that ``make install`` needs no GNU
gettext: this test is what keeps them in step with their ``.po``. Each
``.po`` is parsed here in Python and compared, message by message, with its
``.mo`` as Python's own gettext reads it.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SKIPPED = {".venv", ".git", "node_modules", "__pycache__"}
# The catalogues people read: the messages they are sent and the portal they fill in.
SHIPPED = ("epitrace/outreach/locale", "epitrace/portal/locale")
FORMAT = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


@dataclass
class Entry:
    context: str | None = None
    msgid: str = ""
    plural: str | None = None
    strings: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> str:
        return self.msgid if self.context is None else f"{self.context}\x04{self.msgid}"

    @property
    def translated(self) -> bool:
        return bool(self.strings) and all(self.strings.values())


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (GNU gettext's format, as makemessages writes it)."""
    entries: list[Entry] = []
    entry, target = Entry(), ""
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if target:
                entries.append(entry)
            entry, target = Entry(), ""
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            _append(entry, target, _unquote(line))
            continue
        target = keyword
        _append(entry, target, _unquote(rest), start=True)
    return [e for e in entries if not e.obsolete]


def _append(entry: Entry, target: str, text: str, *, start: bool = False) -> None:
    if target == "msgctxt":
        entry.context = text if start else (entry.context or "") + text
    elif target == "msgid":
        entry.msgid = text if start else entry.msgid + text
    elif target == "msgid_plural":
        entry.plural = text if start else (entry.plural or "") + text
    elif target.startswith("msgstr"):
        index = int(target[7:-1]) if target.startswith("msgstr[") else 0
        entry.strings[index] = text if start else entry.strings.get(index, "") + text


def _unquote(text: str) -> str:
    return str(ast.literal_eval(text))


def catalogues() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.po"):
        if not SKIPPED & set(path.relative_to(ROOT).parts):
            found.append(path)
    return sorted(found)


def expected_catalog(entries: list[Entry]) -> dict[object, str]:
    """What msgfmt puts in the .mo: translated entries that are not fuzzy, and the header."""
    expected: dict[object, str] = {}
    for entry in entries:
        if entry.msgid == "":
            continue
        if "fuzzy" in entry.flags or not entry.translated:
            continue
        if entry.plural is None:
            expected[entry.key] = entry.strings[0]
        else:
            for index, text in entry.strings.items():
                expected[(entry.key, index)] = text
    return expected


PO_FILES = catalogues()


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_project_has_catalogues() -> None:
    assert any(_id(p).startswith("epitrace/outreach/locale/es/") for p in PO_FILES)
    assert any(_id(p).startswith("epitrace/outreach/locale/pt/") for p in PO_FILES)


@pytest.mark.parametrize("po", PO_FILES, ids=_id)
def test_every_catalogue_is_compiled_and_current(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{_id(po)} has no compiled .mo next to it: run compilemessages"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = {k: v for k, v in compiled._catalog.items() if k != ""}  # type: ignore[attr-defined]
    expected = expected_catalog(parse_po(po))
    stale = {k for k in expected.keys() | catalog.keys() if expected.get(k) != catalog.get(k)}
    assert not stale, f"{_id(mo)} is older than its .po for {sorted(map(str, stale))[:5]}"


SHIPPED_FILES = [p for p in PO_FILES if _id(p).startswith(SHIPPED)]


@pytest.mark.parametrize("po", SHIPPED_FILES, ids=_id)
def test_a_shipped_language_is_whole(po: Path) -> None:
    for entry in parse_po(po):
        if entry.msgid == "":
            continue
        assert "fuzzy" not in entry.flags, f"{_id(po)}: fuzzy {entry.msgid!r}"
        assert entry.translated, f"{_id(po)}: untranslated {entry.msgid!r}"
        wanted = {m for pair in FORMAT.findall(entry.msgid) for m in pair if m}
        for text in entry.strings.values():
            kept = {m for pair in FORMAT.findall(text) for m in pair if m}
            assert kept == wanted, f"{_id(po)}: {entry.msgid!r} -> {text!r} changes placeholders"


def test_the_parser_reads_what_msgfmt_compiles(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "Draft"\nmsgstr "Borrador"\n\n'
        'msgctxt "sms"\nmsgid "Hello, "\n"%(name)s"\nmsgstr "Hola, %(name)s"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        'msgid "one day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "un día"\nmsgstr[1] "%(n)s días"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Ido"\n',
        encoding="utf-8",
    )
    assert expected_catalog(parse_po(po)) == {
        "sms\x04Hello, %(name)s": "Hola, %(name)s",
        ("one day", 0): "un día",
        ("one day", 1): "%(n)s días",
    }
