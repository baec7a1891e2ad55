"""What the envelope says: bundle type, event, control id, sender, time sent.

A MessageHeader's event must be a lab result (ORU^R01 and its kin, or the
at-home test IG's LOINC 96552-5). Orders (OML, ORM...) and ADT events are
refused rather than read as results: their Observations are questions
asked at order entry or clinical facts, not test results.
"""

from __future__ import annotations

import datetime as dt
import re

from epitrace.labs.ingest.fhir.nodes import Json, child, children, text
from epitrace.labs.ingest.fhir.parties import facility
from epitrace.labs.ingest.fhir.resolve import Index, Node
from epitrace.labs.ingest.fhir.timestamps import Unreadable, parse_timestamp
from epitrace.labs.ingest.report import Rejected

ACCEPTED_BUNDLES = {"message", "transaction", "batch", "collection", "document"}
# v2 table 0003 events of unsolicited observation messages (ORU^R01, R30-R32 point of care).
RESULT_EVENTS = {"R01", "R30", "R31", "R32"}
# LOINC 96552-5: "At-home in vitro test results" (HL7 at-home test report IG).
RESULT_LOINC = {"96552-5"}
_ORDER = re.compile(r"^O\d\d$")  # O01 ORM, O21 OML, O33, O35...
_ADT = re.compile(r"^A\d\d$")  # A01 admit ... A62
_ORDER_TYPES = ("OML", "ORM", "OMG", "OMI", "OMP", "ORL")


def check_bundle_type(bundle: Json) -> str:
    kind = text(bundle, "type")
    if not kind:
        raise Rejected(
            "the Bundle has no type; use message, collection, batch or transaction",
            control_id=control_id(bundle, None),
        )
    if kind in {"searchset", "history"}:
        raise Rejected(
            f"a {kind} Bundle is the answer to a query, not a lab report: "
            "send a message, collection, batch or transaction Bundle",
            control_id=control_id(bundle, None),
        )
    if kind not in ACCEPTED_BUNDLES:
        raise Rejected(
            f"Bundle.type {kind!r} is not accepted; use message, collection, batch or transaction",
            control_id=control_id(bundle, None),
        )
    return kind


def message_header(index: Index) -> Node | None:
    headers = index.of_type("MessageHeader")
    return headers[0] if headers else None


def control_id(bundle: Json, header: Node | None) -> str:
    """Bundle.identifier.value, else the MessageHeader's id, else Bundle.id (MSH-10's place)."""
    value = text(child(bundle, "identifier"), "value")
    if value:
        return value
    if header is not None and header.id:
        return header.id
    return text(bundle, "id")


def check_event(header: Node, control: str) -> None:
    """Reject a message whose event is not a lab result (a missing event is accepted)."""
    coding = child(header.resource, "eventCoding")
    code, display = text(coding, "code"), text(coding, "display")
    uri = text(header.resource, "eventUri")
    if not code and not uri:
        return
    if code in RESULT_EVENTS or code in RESULT_LOINC or display.upper().startswith("ORU"):
        return
    if not code and re.search(r"ORU|R01|result", uri, re.IGNORECASE):
        return
    event = f"{code} ({display})" if code and display else code or uri
    raise Rejected(
        f"MessageHeader event {event} is {_kind(code, display)}; "
        "only lab results (ORU^R01, LOINC 96552-5) are imported",
        control_id=control,
    )


def _kind(code: str, display: str) -> str:
    upper = display.upper()
    if _ORDER.match(code) or upper.startswith(_ORDER_TYPES):
        return "an order"
    if _ADT.match(code) or upper.startswith("ADT"):
        return "an ADT (admission, discharge, transfer) event"
    return "not a lab result"


def sender(header: Node | None, index: Index) -> tuple[str, str]:
    """(sending facility, sending application) from the MessageHeader."""
    if header is None:
        return "", ""
    source = child(header.resource, "source")
    application = text(source, "software") or text(source, "name") or text(source, "endpoint")
    org = index.resolve(text(child(header.resource, "sender"), "reference"), header)
    if org is not None and org.type == "Organization":
        label = facility(org.resource).label
        if label:
            return label, application
    return text(source, "name") or text(source, "endpoint"), application


def sent_at(bundle: Json, control: str) -> dt.datetime | None:
    """Bundle.timestamp (a date alone says too little to be a sending time)."""
    value = text(bundle, "timestamp")
    if not value:
        return None
    try:
        parsed = parse_timestamp(value)
    except Unreadable:
        raise Rejected(
            f"Bundle.timestamp {value!r} is not a FHIR instant", control_id=control
        ) from None
    return parsed if isinstance(parsed, dt.datetime) else None


def entries_are_bundles(bundle: Json) -> bool:
    """A batch of Bundles (each its own message) rather than a Bundle of resources."""
    resources = [e.get("resource") for e in children(bundle, "entry")]
    return bool(resources) and all(
        isinstance(r, dict) and r.get("resourceType") == "Bundle" for r in resources
    )
