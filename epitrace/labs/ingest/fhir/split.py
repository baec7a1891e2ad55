"""Cutting a FHIR file or stream into messages.

One JSON document is one message. A JSON array, NDJSON (one resource or
Bundle per line) and a Bundle whose entries are all Bundles give one message
per element, line or inner Bundle. An empty or unreadable file is one
message with a problem, so that it is counted and rejected, never lost.
Text is decoded as JSON allows (UTF-8, with or without BOM, or UTF-16/32
with a BOM).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from epitrace.labs.ingest.report import RawItem

_JSON_WHITESPACE = " \t\r\n"


def split_fhir(data: bytes) -> Iterator[RawItem]:
    text = _decode(data)
    if text is None:
        yield RawItem(1, _printable(data.decode("utf-8", "replace")), "not UTF-8 text")
        return
    body = text.lstrip("\ufeff").strip(_JSON_WHITESPACE)
    if not body:
        yield RawItem(1, text, "empty file: no FHIR resource")
        return
    try:
        document = json.loads(body)
    except RecursionError:
        yield RawItem(1, text, "not readable JSON: nested too deeply")
        return
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data":
            yield from _ndjson(body)
        else:
            yield RawItem(1, _printable(text), f"not readable JSON: {exc}")
        return
    yield from _document(document, body)


def _document(document: Any, body: str) -> Iterator[RawItem]:
    if isinstance(document, list):
        if not document:
            yield RawItem(1, body, "empty JSON array: no FHIR resource")
        for position, element in enumerate(document, start=1):
            yield RawItem(position, _dump(element))
        return
    if _is_bundle_of_bundles(document):
        for position, entry in enumerate(document["entry"], start=1):
            yield RawItem(position, _dump(entry["resource"]))
        return
    yield RawItem(1, body)


def _ndjson(body: str) -> Iterator[RawItem]:
    position = 0
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip(_JSON_WHITESPACE):
            continue
        position += 1
        try:
            json.loads(line)
        except RecursionError:
            yield RawItem(position, line, f"line {number}: nested too deeply")
        except ValueError as exc:
            yield RawItem(position, _printable(line), f"line {number} is not readable JSON: {exc}")
        else:
            yield RawItem(position, line)


def _is_bundle_of_bundles(document: Any) -> bool:
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        return False
    entries = document.get("entry")
    return (
        isinstance(entries, list)
        and bool(entries)
        and all(
            isinstance(e, dict)
            and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "Bundle"
            for e in entries
        )
    )


def _decode(data: bytes) -> str | None:
    try:
        return data.decode(json.detect_encoding(data))
    except (UnicodeDecodeError, LookupError):
        return None


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _printable(text: str) -> str:
    # Raw messages are stored as text; a NUL byte is not storable in PostgreSQL.
    return text.replace("\x00", "\ufffd")
