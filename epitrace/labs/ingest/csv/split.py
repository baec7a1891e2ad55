"""Cutting a lab CSV file into rows, one message each.

Each item's text is its row as a JSON object keyed by our column names (the
raw row, storable and re-parseable without the file's header); its index is
the data row number (1 = the first row under the header; blank rows are
skipped but counted). A header that cannot be read or lacks required columns
is one problem item naming them, so the file is counted and rejected with
a reason, never lost. Text is UTF-8 (a BOM allowed), UTF-16 with a BOM, or
Windows-1252 (what spreadsheet programs write); the delimiter is a comma,
or a semicolon or tab when the header line uses that instead.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator

from epitrace.labs.ingest.csv.columns import MappingError, header_columns
from epitrace.labs.ingest.report import RawItem


def split_csv(data: bytes, mapping: dict[str, str] | None = None) -> Iterator[RawItem]:
    text = _decode(data)
    if text is None:
        yield RawItem(1, _storable(data.decode("utf-8", "replace")), _ENCODING_PROBLEM)
        return
    if not text.strip():
        yield RawItem(1, text, "empty file: no header and no rows")
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise MappingError("no header line with column names")
        names = header_columns(header, mapping)
    except (csv.Error, MappingError) as exc:
        first = next((line for line in text.splitlines() if line.strip()), "")
        yield RawItem(1, _storable(first), _storable(f"unusable header: {exc}"))
        return
    yield from _rows(reader, names)


def _rows(reader: Iterator[list[str]], names: list[str]) -> Iterator[RawItem]:
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawItem(number, "", f"row {number} cannot be read: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: cell for name, cell in zip(names, row, strict=False) if name}
        record = json.dumps(cells, ensure_ascii=False)
        if len(row) > len(names):
            extra = json.dumps(row, ensure_ascii=False)
            problem = f"row {number} has {len(row)} values but the header has {len(names)} columns"
            yield RawItem(number, _storable(extra), problem)
            continue
        yield RawItem(number, _storable(record))


_ENCODING_PROBLEM = "not text in UTF-8, UTF-16 (with BOM) or Windows-1252"


def _decode(data: bytes) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "cp1252"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _delimiter(text: str) -> str:
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _storable(text: str) -> str:
    # Raw messages and reasons are stored as text; PostgreSQL text cannot hold NUL.
    return text.replace("\x00", "\ufffd")
