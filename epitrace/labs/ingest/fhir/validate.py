"""Structural checks with fhir.resources (R4B), limited to what the report uses.

Each resource the report is read from (MessageHeader, Patient, the result
Observations, their DiagnosticReports and Specimens) is validated with the
R4B model. Real senders fail that model in places no report depends on
(ReportStream omits ``Provenance.target``, puts ``_valueInstant`` inside
extensions, sends one Identifier where a list belongs), so an error counts
only when it lies in an element we read and is not one of the slips the
extraction reads correctly anyway: an object for a one-item list, a missing
element (extraction checks what it needs itself), an empty string, a
timestamp our own reader understands (no seconds, ``+0000``). What is left
is a real structural problem and rejects the message, its path in the
reason. The model checks structure, not code values.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from epitrace.labs.ingest.fhir.resolve import Node
from epitrace.labs.ingest.fhir.results import VALUE_KINDS
from epitrace.labs.ingest.fhir.timestamps import Unreadable, parse_timestamp
from epitrace.labs.ingest.report import Rejected

# Per resource type: the elements extraction reads; a set narrows the check to
# those children of the element (e.g. an identifier's period is never read).
_ANY = None
_EFFECTIVE = {"effectiveDateTime": _ANY, "effectivePeriod": _ANY, "effectiveInstant": _ANY}
_VALUES = {f"value{kind}": _ANY for kind in VALUE_KINDS}
USED: dict[str, dict[str, frozenset[str] | None]] = {
    "MessageHeader": {
        "eventCoding": _ANY,
        "eventUri": _ANY,
        "sender": _ANY,
        "source": frozenset({"name", "software", "endpoint"}),
    },
    "Patient": {
        "identifier": frozenset({"value", "system", "type", "assigner"}),
        "name": _ANY,
        "gender": _ANY,
        "birthDate": _ANY,
        "address": _ANY,
        "telecom": _ANY,
        "communication": _ANY,
        "deceasedDateTime": _ANY,
    },
    "Observation": {
        "status": _ANY,
        "code": _ANY,
        "subject": _ANY,
        "issued": _ANY,
        "interpretation": _ANY,
        "performer": _ANY,
        "specimen": _ANY,
        "method": _ANY,
        "referenceRange": _ANY,
        **_EFFECTIVE,
        **_VALUES,
    },
    "DiagnosticReport": {
        "identifier": frozenset({"value", "system", "type"}),
        "status": _ANY,
        "subject": _ANY,
        "issued": _ANY,
        "specimen": _ANY,
        "result": _ANY,
        "performer": _ANY,
        "basedOn": _ANY,
        **_EFFECTIVE,
    },
    "Specimen": {
        "type": _ANY,
        "receivedTime": _ANY,
        "accessionIdentifier": frozenset({"value", "system"}),
        "collection": frozenset({"collectedDateTime", "collectedPeriod"}),
    },
}
_NEVER_READ = {"extension", "modifierExtension", "contained", "meta", "text"}
_TIMESTAMPS = {
    "birthDate",
    "deceasedDateTime",
    "issued",
    "effectiveDateTime",
    "effectiveInstant",
    "collectedDateTime",
    "receivedTime",
    "start",
    "end",
    "valueDateTime",
}


def check_structure(node: Node, control: str) -> None:
    """Reject the message if ``node`` is malformed where the report reads it."""
    used = USED.get(node.type)
    if used is None:
        return
    try:
        get_fhir_model_class(node.type).model_validate(node.resource)
    except ValidationError as exc:
        for error in exc.errors():
            if _matters(error, used):
                raise Rejected(_reason(node, error), control_id=control) from None
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        # The validator itself failed on odd input: extraction reads defensively
        # and checks what it needs, so the report is not lost for that.
        return


def _matters(error: Any, used: dict[str, frozenset[str] | None]) -> bool:
    names = [p for p in error["loc"] if isinstance(p, str)]
    if not names or any(n in _NEVER_READ or n.startswith("_") for n in names):
        return False
    if names[0] not in used:
        return False
    narrowed = used[names[0]]
    if narrowed is not None and len(names) > 1 and names[1] not in narrowed:
        return False
    value = error.get("input")
    kind = error["type"]
    if kind in {"missing", "extra_forbidden"} or value == "":
        return False  # extraction checks what it needs and ignores what it does not know
    if kind == "list_type" and isinstance(value, dict):
        return False
    return not (names[-1] in _TIMESTAMPS and isinstance(value, str) and _readable(value))


def _readable(value: str) -> bool:
    try:
        parse_timestamp(value)
    except Unreadable:
        return False
    return True


def _reason(node: Node, error: Any) -> str:
    path = ".".join(str(p) for p in error["loc"])
    value = repr(error.get("input"))
    if len(value) > 60:
        value = value[:57] + "..."
    kind = error["type"]
    if kind == "list_type":
        problem = "should be a list"
    elif kind in {"json_invalid", "model_type", "dict_type", "model_attributes_type"}:
        problem = "should be an object"
    elif kind == "string_type":
        problem = "should be a string"
    elif "spec regex" in str(error.get("msg", "")):
        problem = "is not a valid FHIR value"
    else:
        problem = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"{node.label} {path}: {value} {problem}".replace("\x00", "")
