"""One FHIR message (a Bundle or a lone resource) as a :class:`LabReport`.

Accepted: message, collection, batch, transaction and document Bundles, a
lone Observation whose Patient is contained in it, and a lone
DiagnosticReport containing its Observations and Patient. A lone resource
that only points at a Patient elsewhere cannot say who was tested and is
refused. Everything else is refused with a reason: queries' answers
(searchset, history), orders and ADT events, animals and other non-human
subjects, a message about several patients, a message with no lab result,
structural errors where the report reads (see ``validate``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from epitrace.labs.ingest.fhir import header, nodes
from epitrace.labs.ingest.fhir.nodes import Json, child, children, clean, codings, reference
from epitrace.labs.ingest.fhir.observations import Found, find_observations
from epitrace.labs.ingest.fhir.patient import read_patient
from epitrace.labs.ingest.fhir.resolve import Index, Node
from epitrace.labs.ingest.fhir.results import LOINC_SYSTEMS, ResultReader, read_value
from epitrace.labs.ingest.fhir.validate import check_structure
from epitrace.labs.ingest.report import LabReport, Rejected

LONE_RESULTS = {"Observation", "DiagnosticReport"}
NON_HUMAN = {"Group", "Device", "Location", "Substance", "Medication", "BiologicallyDerivedProduct"}


def load_json(text: str) -> Any:
    """Strict JSON (no NaN/Infinity), decimals kept as sent ("1.50" stays "1.50")."""
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_fhir_message(text: str) -> LabReport:
    """The report in one FHIR JSON document; raises :class:`Rejected` with why not."""
    try:
        document = load_json(text)
    except RecursionError:
        raise Rejected("not readable JSON: nested too deeply") from None
    except ValueError as exc:
        raise Rejected(f"not readable JSON: {_short(exc)}") from None
    if not isinstance(document, dict):
        raise Rejected("not a FHIR resource: the JSON is not an object")
    kind = document.get("resourceType")
    kind = clean(kind) if isinstance(kind, str) else ""
    if not kind:
        raise Rejected("not a FHIR resource: it has no resourceType")
    if kind == "Bundle":
        return _bundle(document)
    if kind in LONE_RESULTS:
        return _lone(document)
    raise Rejected(
        f"a lone {kind} is not a lab report: send a Bundle, or an Observation or "
        "DiagnosticReport containing its Patient",
        control_id=nodes.text(document, "id"),
    )


def _bundle(bundle: Json) -> LabReport:
    kind = header.check_bundle_type(bundle)
    index = Index.of_bundle(bundle)
    head = header.message_header(index)
    control = header.control_id(bundle, head)
    if head is not None:
        header.check_event(head, control)
        check_structure(head, control)
    if header.entries_are_bundles(bundle):
        raise Rejected(
            "a Bundle of Bundles: each inner Bundle is its own message", control_id=control
        )
    report = _report(index, control, kind)
    report.sending_facility, report.sending_application = header.sender(head, index)
    report.sent_at = header.sent_at(bundle, control)
    return report


def _lone(resource: Json) -> LabReport:
    """A lone Observation or DiagnosticReport: its own identifier stands for a control id."""
    control = nodes.text(child(resource, "identifier"), "value") or nodes.text(resource, "id")
    return _report(Index.of_resource(resource), control, nodes.text(resource, "resourceType"))


def _report(index: Index, control: str, message_type: str) -> LabReport:
    found = find_observations(index)
    if not found.results:
        raise Rejected(_no_result(index, found), control_id=control)
    patient_node = _patient(index, found, control)
    for node in _read_from(patient_node, found, index):
        check_structure(node, control)
    reader = ResultReader(index, control)
    return LabReport(
        format="fhir",
        control_id=control,
        message_type=message_type,
        version="R4",
        patient=read_patient(patient_node, index, control),
        results=[reader.read(obs, report) for obs, report in found.results],
        answers=[answer for answer in map(_answer, found.answers) if answer[0]],
    )


def _read_from(patient: Node, found: Found, index: Index) -> list[Node]:
    """The resources the report is read from: the ones whose structure must hold."""
    needed: dict[Node, None] = {patient: None}  # an ordered set
    for obs, report in found.results:
        for node in (obs, report):
            if node is None:
                continue
            needed[node] = None
            for ref in children(node.resource, "specimen"):
                specimen = index.resolve(nodes.text(ref, "reference"), node)
                if specimen is not None and specimen.type == "Specimen":
                    needed[specimen] = None
    return list(needed)


def _patient(index: Index, found: Found, control: str) -> Node:
    """The one Patient the results are about (their subject, else their report's)."""
    patients: list[Node] = []
    for obs, report in found.results:
        subject = _subject(obs, index, control) or (
            _subject(report, index, control) if report else None
        )
        if subject is not None and subject not in patients:
            patients.append(subject)
    if not patients:
        everyone = index.of_type("Patient")
        if len(everyone) == 1:
            return everyone[0]
        raise Rejected("no Patient: the results do not say who was tested", control_id=control)
    if len(patients) > 1:
        raise Rejected(
            f"the results are about {len(patients)} patients; send one Bundle per patient",
            control_id=control,
        )
    return patients[0]


def _subject(node: Node, index: Index, control: str) -> Node | None:
    ref = reference(node.resource, "subject")
    if not ref:
        return None
    target = index.resolve(ref, node)
    kind = target.type if target is not None else ref.split("/")[0].lstrip("#")
    if kind in NON_HUMAN:
        raise Rejected(
            f"the subject of {node.label} is a {kind}, not a person; "
            "only human results are imported",
            control_id=control,
        )
    if target is None:
        raise Rejected(
            f"{node.label} subject {ref!r} is not in the message: send the Patient in the "
            "same Bundle or contained in the resource",
            control_id=control,
        )
    if target.type != "Patient":
        raise Rejected(
            f"the subject of {node.label} is a {target.type}, not a Patient", control_id=control
        )
    return target


def _answer(node: Node) -> tuple[str, str]:
    """(question code, answer): the answer's code when coded (``N``, a SNOMED CT
    code), else its text, as the HL7 parser gives OBX answers."""
    coded = codings(child(node.resource, "code"))
    loinc = [c for c in coded if nodes.text(c, "system") in LOINC_SYSTEMS]
    first = (loinc or coded or [{}])[0]
    answer = read_value(node.resource)
    return nodes.text(first, "code"), answer.code or answer.text


def _no_result(index: Index, found: Found) -> str:
    if found.missing:
        return (
            f"no laboratory result in the message: {found.missing[0]} is not in it; send the "
            "Observations in the same Bundle or contained in the report"
        )
    observations = len(index.of_type("Observation"))
    if not observations and not index.of_type("DiagnosticReport"):
        return "no laboratory result in the message: it has no Observation or DiagnosticReport"
    if found.answers:
        return (
            "no laboratory result in the message, only answers to order-entry questions "
            f"({len(found.answers)})"
        )
    return f"no laboratory result in the message (Observations: {observations}, none a lab test)"


def _short(exc: Exception) -> str:
    message = str(exc)
    return message if len(message) <= 120 else message[:117] + "..."
