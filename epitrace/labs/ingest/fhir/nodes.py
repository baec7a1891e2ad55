"""Forgiving accessors over parsed FHIR JSON.

Extraction reads the raw JSON rather than fhir.resources models: real senders
put an object where a list belongs or leave empty strings about, and a
report must not be lost for that (see ``validate`` for what *is* checked).
Every accessor returns an empty value for a missing or mis-shaped element,
never raises.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

Json = dict[str, Any]


def clean(value: str) -> str:
    """Stripped, without NUL (a JSON ``\u0000`` escape cannot be stored in PostgreSQL text)."""
    return value.replace("\x00", "").strip()


def text(node: Json, key: str) -> str:
    """A primitive element as a stripped string ("" when absent or not a primitive)."""
    value = node.get(key)
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal | float):
        return str(value)
    return ""


def child(node: Json, key: str) -> Json:
    """A complex element; a list holding objects gives its first object."""
    value = node.get(key)
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return next((v for v in value if isinstance(v, dict)), {})
    return {}


def children(node: Json, key: str) -> list[Json]:
    """A repeating complex element; a lone object (a common sender slip) is one item."""
    value = node.get(key)
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def texts(node: Json, key: str) -> list[str]:
    """A repeating primitive element (e.g. HumanName.given), empty strings dropped."""
    value = node.get(key)
    items = value if isinstance(value, list) else [value]
    return [clean(v) for v in items if isinstance(v, str) and clean(v)]


def at(node: Json, path: str) -> Any:
    """The value at a dotted path of complex elements (first item of lists), or None."""
    current: Any = node
    for key in path.split("."):
        if isinstance(current, list):
            current = next((v for v in current if isinstance(v, dict)), None)
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current


def codings(concept: Json) -> list[Json]:
    """The codings of a CodeableConcept that carry a code."""
    return [c for c in children(concept, "coding") if text(c, "code")]


def concept_text(concept: Json) -> str:
    """What a person would read: a coding's display, else the text, else the code."""
    for coding in children(concept, "coding"):
        if text(coding, "display"):
            return text(coding, "display")
    if text(concept, "text"):
        return text(concept, "text")
    first = codings(concept)
    return text(first[0], "code") if first else ""


def concept_codes(concept: Json) -> set[str]:
    return {text(c, "code") for c in codings(concept)}


def reference(node: Json, key: str) -> str:
    """The literal reference of a Reference element (a bare string tolerated)."""
    value = node.get(key)
    if isinstance(value, str):
        return value.strip()
    return text(child(node, key), "reference")
