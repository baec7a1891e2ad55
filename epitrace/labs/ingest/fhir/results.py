"""One lab-result Observation as a :class:`Result`, with what surrounds it.

Field by field what the HL7 parser takes from OBX/OBR/SPM, so a bundle and
its HL7 rendering give the same result: the test (OBX-3: the first coding as
sent, the second as the alternate, a LOINC further down promoted to
alternate; the name from a coding's display, else code.text), the value
(OBX-5: a coded value's code and system as sent, its display as the text;
Quantity and Ratio as ``>=32``, ``1:128``; ``value_type`` is the FHIR
value[x] type), interpretation (OBX-8), status (OBX-11, as sent: ``final``),
the performing lab (OBX-23: the performer Organization, its CLIA), the
specimen (SPM-4: the type's code, else its text; SPM-17: Specimen.collection,
else Observation.effective, else DiagnosticReport.effective), the analysis
time (OBX-19: issued), the filler order number (OBR-3: the report's FILL
identifier, else its first) and the order's requester (ORC-21, ORC-12).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from epitrace.labs.ingest.fhir.nodes import (
    Json,
    at,
    child,
    children,
    codings,
    concept_codes,
    concept_text,
    reference,
    text,
)
from epitrace.labs.ingest.fhir.parties import (
    facility,
    organization_of,
    person_name,
    practitioner_of,
)
from epitrace.labs.ingest.fhir.resolve import Index, Node
from epitrace.labs.ingest.fhir.timestamps import Unreadable, parse_timestamp
from epitrace.labs.ingest.report import Rejected, Result

LOINC_SYSTEMS = {"http://loinc.org", "LN", "urn:oid:2.16.840.1.113883.6.1"}
VALUE_KINDS = (
    "CodeableConcept",
    "Quantity",
    "String",
    "Boolean",
    "Integer",
    "Range",
    "Ratio",
    "DateTime",
    "Time",
    "Period",
)
Stamp = dt.datetime | dt.date | None


@dataclass
class Value:
    text: str = ""
    kind: str = ""
    code: str = ""
    system: str = ""
    units: str = ""


class ResultReader:
    def __init__(self, index: Index, control: str) -> None:
        self.index = index
        self.control = control

    def read(self, obs: Node, report: Node | None) -> Result:
        resource = obs.resource
        result = Result(test_code="")
        self._test(obs, result)
        value = read_value(resource)
        result.value, result.value_type = value.text, value.kind
        result.value_code, result.value_code_system = value.code, value.system
        result.units = value.units
        result.reference_range = _reference_range(resource)
        interpretation = child(resource, "interpretation")
        first = codings(interpretation)
        result.abnormal_flag = text(first[0], "code") if first else text(interpretation, "text")
        result.status = text(resource, "status")
        result.observation_id = obs.id
        result.method = concept_text(child(resource, "method")) or self._device(obs)
        self._specimen(obs, report, result)
        result.resulted_at = self._stamp(obs, "issued") or (
            self._stamp(report, "issued") if report else None
        )
        result.accession = self._accession(obs, report)
        self._performer(obs, report, result)
        self._ordering(obs, report, result)
        return result

    def _test(self, obs: Node, result: Result) -> None:
        concept = child(obs.resource, "code")
        coded = codings(concept)
        if not coded:
            raise Rejected(
                f"{obs.label} code has no coding with a code: the test cannot be identified",
                control_id=self.control,
            )
        primary = coded[0]
        alternate = coded[1] if len(coded) > 1 else None
        if not (_is_loinc(primary) or (alternate and _is_loinc(alternate))):
            alternate = next((c for c in coded[2:] if _is_loinc(c)), alternate)
        result.test_code, result.test_code_system = text(primary, "code"), text(primary, "system")
        result.test_name = (
            text(primary, "display")
            or (text(alternate, "display") if alternate else "")
            or text(concept, "text")
        )
        if alternate is not None:
            result.alternate_test_code = text(alternate, "code")
            result.alternate_test_code_system = text(alternate, "system")

    def _specimen(self, obs: Node, report: Node | None, result: Result) -> None:
        specimen = self._ref(obs, "specimen", "Specimen")
        if specimen is None and report is not None:
            specimen = self._ref(report, "specimen", "Specimen")
        if specimen is None:
            only = self.index.of_type("Specimen")
            specimen = only[0] if len(only) == 1 else None
        collected: Stamp = None
        if specimen is not None:
            collected = self._stamp(specimen, "collection.collectedDateTime") or self._stamp(
                specimen, "collection.collectedPeriod.start"
            )
            result.specimen_received_at = self._stamp(specimen, "receivedTime")
            kind = child(specimen.resource, "type")
            coded = codings(kind)  # like SPM-4: the code, else the text
            result.specimen_type = text(coded[0], "code") if coded else concept_text(kind)
        for source in (obs, report):
            if collected is None and source is not None:
                collected = self._effective(source)
        result.specimen_collected_at = collected

    def _effective(self, node: Node) -> Stamp:
        return (
            self._stamp(node, "effectiveDateTime")
            or self._stamp(node, "effectivePeriod.start")
            or self._stamp(node, "effectiveInstant")
        )

    def _accession(self, obs: Node, report: Node | None) -> str:
        """The filler order number that links a correction to the result it corrects."""
        if report is not None:
            found = _identifier(children(report.resource, "identifier"))
            if found:
                return found
        specimen = self._ref(obs, "specimen", "Specimen")
        if specimen is not None:
            found = text(child(specimen.resource, "accessionIdentifier"), "value")
            if found:
                return found
        order = self._order(obs, report)
        return _identifier(children(order.resource, "identifier")) if order else ""

    def _performer(self, obs: Node, report: Node | None, result: Result) -> None:
        for node in (obs, report):
            for ref in children(node.resource, "performer") if node else []:
                org = organization_of(self.index.resolve(text(ref, "reference"), node), self.index)
                if org is not None:
                    lab = facility(org.resource)
                    result.performing_lab_id, result.performing_lab_name = lab.identifier, lab.name
                    return

    def _ordering(self, obs: Node, report: Node | None, result: Result) -> None:
        order = self._order(obs, report)
        requesters = (
            [self.index.resolve(reference(order.resource, "requester"), order)] if order else []
        )
        if report is not None:
            # Some senders name the ordering clinician as a performer of the report.
            requesters += [
                n
                for ref in children(report.resource, "performer")
                if (n := self.index.resolve(text(ref, "reference"), report)) is not None
                and n.type in {"Practitioner", "PractitionerRole"}
            ]
        for requester in requesters:
            org = organization_of(requester, self.index)
            person = practitioner_of(requester, self.index)
            if org is None and person is None:
                continue
            result.ordering_facility = text(org.resource, "name") if org else ""
            result.ordering_provider = person_name(person.resource) if person else ""
            return

    def _order(self, obs: Node, report: Node | None) -> Node | None:
        for node in (obs, report):
            order = self._ref(node, "basedOn", "ServiceRequest") if node else None
            if order is not None:
                return order
        orders = self.index.of_type("ServiceRequest")
        return orders[0] if len(orders) == 1 else None

    def _device(self, obs: Node) -> str:
        device = self._ref(obs, "device", "Device")
        if device is None:
            return ""
        names = children(device.resource, "deviceName")
        return text(names[0], "name") if names else ""

    def _ref(self, node: Node, key: str, kind: str) -> Node | None:
        """The first resource of type ``kind`` a (possibly repeating) reference names."""
        for ref in children(node.resource, key):
            target = self.index.resolve(text(ref, "reference"), node)
            if target is not None and target.type == kind:
                return target
        return None

    def _stamp(self, node: Node, path: str) -> Stamp:
        value = at(node.resource, path)
        if not isinstance(value, str) or not value.strip():
            return None
        try:
            return parse_timestamp(value)
        except Unreadable:
            raise Rejected(
                f"{node.label} {path}: {value!r} is not a FHIR dateTime", control_id=self.control
            ) from None


def read_value(resource: Json) -> Value:
    """Observation.value[x] as text, with its code when coded."""
    for kind in VALUE_KINDS:
        key = f"value{kind}"
        if key not in resource:
            continue
        if kind == "CodeableConcept":
            concept = child(resource, key)
            coded = codings(concept)
            code, system = (text(coded[0], "code"), text(coded[0], "system")) if coded else ("", "")
            return Value(concept_text(concept), kind, code, system)
        if kind == "Quantity":
            quantity = child(resource, key)
            number = text(quantity, "comparator") + text(quantity, "value")
            return Value(number, kind, units=text(quantity, "unit") or text(quantity, "code"))
        if kind == "Range":
            return Value(_bounds(child(resource, key), "low", "high", "-"), kind)
        if kind == "Period":
            return Value(_bounds(child(resource, key), "start", "end", "/"), kind)
        if kind == "Ratio":
            # HL7 SN values (titres, MICs) arrive as Ratios, often without a denominator.
            ratio = child(resource, key)
            numerator, denominator = child(ratio, "numerator"), child(ratio, "denominator")
            number = text(numerator, "comparator") + text(numerator, "value")
            if text(denominator, "value"):
                number = f"{number}:{text(denominator, 'value')}"
            return Value(number, kind, units=text(numerator, "unit") or text(numerator, "code"))
        return Value(text(resource, key), kind[:1].lower() + kind[1:])
    return Value()


def _part(node: Json, key: str) -> str:
    inner = node.get(key)
    if isinstance(inner, dict):
        return text(inner, "value")
    return text(node, key)


def _bounds(span: Json, low_key: str, high_key: str, joint: str) -> str:
    """``low-high``, or ``>=low`` / ``<=high`` when one end is open."""
    low, high = _part(span, low_key), _part(span, high_key)
    if low and high:
        return f"{low}{joint}{high}"
    return f">={low}" if low else f"<={high}" if high else ""


def _reference_range(resource: Json) -> str:
    ranges = children(resource, "referenceRange")
    if not ranges:
        return ""
    return text(ranges[0], "text") or _bounds(ranges[0], "low", "high", "-")


def _identifier(identifiers: list[Json]) -> str:
    """A filler (FILL) identifier's value, else the first value."""
    with_value = [i for i in identifiers if text(i, "value")]
    for ident in with_value:
        if "FILL" in concept_codes(child(ident, "type")):
            return text(ident, "value")
    return text(with_value[0], "value") if with_value else ""


def _is_loinc(coding: Json) -> bool:
    return text(coding, "system") in LOINC_SYSTEMS
