"""Which Observations of a message are lab results, which are answers.

Results are the Observations a DiagnosticReport lists (a panel's members when
the panel itself has no value), then stand-alone Observations of category
laboratory, or with no category at all. Questions asked at order entry
(AOE: "symptomatic?", "pregnant?", "first test?", onset date...) travel as
Observations too; they go to the report's answers, never its results,
recognised by their LOINC code, by ReportStream's AOE panel identifier
(81959-9), by category ``survey`` (the at-home test IG's patient answers),
or by being the supporting information of an order or report. Vital signs
and other clinical categories are neither and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from epitrace.labs.ingest.aoe import AOE_QUESTIONS
from epitrace.labs.ingest.fhir.nodes import (
    Json,
    child,
    children,
    concept_codes,
    reference,
    text,
    texts,
)
from epitrace.labs.ingest.fhir.resolve import Index, Node

# The questions every parser recognises (ingest/aoe.py).
AOE_CODES = AOE_QUESTIONS
AOE_PANEL = "81959-9"  # Public health laboratory ask at order entry panel
LAB_CATEGORIES = {"laboratory", "LAB"}
ANSWER_CATEGORIES = {"survey"}
CONDITION_CODE = "https://reportstream.cdc.gov/fhir/StructureDefinition/condition-code"
SUPPORTING_INFO = (
    "http://hl7.org/fhir/us/home-lab-report/StructureDefinition/"
    "Extension-at-home-in-vitro-test-supporting-info"
)


@dataclass
class Found:
    results: list[tuple[Node, Node | None]] = field(default_factory=list)  # (obs, its report)
    answers: list[Node] = field(default_factory=list)
    # Results a report lists that the message does not hold. ReportStream drops
    # the Observations its receiver does not want and leaves the references.
    missing: list[str] = field(default_factory=list)


def find_observations(index: Index) -> Found:
    finder = _Finder(index)
    for report in index.of_type("DiagnosticReport"):
        for ref in children(report.resource, "result"):
            obs = index.resolve(text(ref, "reference"), report)
            if obs is None or obs.type != "Observation":
                finder.found.missing.append(f"{report.label} result {text(ref, 'reference')!r}")
                continue
            finder.take(obs, report)
    for node in index.of_type("Observation"):
        if node in finder.seen:
            continue
        standalone_result = _is_lab(node.resource) and node not in finder.members
        if finder.is_answer(node) or standalone_result:
            finder.take(node, None)
    return finder.found


class _Finder:
    def __init__(self, index: Index) -> None:
        self.index = index
        self.found = Found()
        self.seen: set[Node] = set()
        self.supporting = _supporting(index)
        self.members = {
            member for node in index.of_type("Observation") for member in self._members(node)
        }

    def take(self, obs: Node, report: Node | None) -> None:
        if obs in self.seen:  # listed twice, or a panel that contains itself
            return
        self.seen.add(obs)
        if self.is_answer(obs):
            self.found.answers.append(obs)
            return
        members = self._members(obs)
        if members and not _has_value(obs.resource):
            for member in members:
                self.take(member, report)
            return
        self.found.results.append((obs, report))

    def is_answer(self, obs: Node) -> bool:
        resource = obs.resource
        identifier_types = {
            code
            for i in children(resource, "identifier")
            for code in concept_codes(child(i, "type"))
        }
        categories = {code for c in children(resource, "category") for code in concept_codes(c)}
        profiles = texts(child(resource, "meta"), "profile")
        code = child(resource, "code")
        return bool(
            concept_codes(code) & AOE_CODES
            or _marked_aoe(code)
            or AOE_PANEL in identifier_types
            or categories & ANSWER_CATEGORIES
            or obs in self.supporting
            or any("question-answer" in p for p in profiles)
        )

    def _members(self, obs: Node) -> list[Node]:
        found = []
        for ref in children(obs.resource, "hasMember"):
            member = self.index.resolve(text(ref, "reference"), obs)
            if member is not None and member.type == "Observation":
                found.append(member)
        return found


def _supporting(index: Index) -> set[Node]:
    """Observations given as supporting information of an order or a report."""
    found: set[Node] = set()
    for order in index.of_type("ServiceRequest"):
        for ref in children(order.resource, "supportingInfo"):
            node = index.resolve(text(ref, "reference"), order)
            if node is not None:
                found.add(node)
    for report in index.of_type("DiagnosticReport"):
        for ext in children(report.resource, "extension"):
            if text(ext, "url") != SUPPORTING_INFO:
                continue
            for inner in children(ext, "extension"):
                node = index.resolve(reference(inner, "valueReference"), report)
                if node is not None:
                    found.add(node)
    return found


def _marked_aoe(code: Json) -> bool:
    """ReportStream's mark on a question's coding (condition-code AOE)."""
    return any(
        text(ext, "url") == CONDITION_CODE and text(child(ext, "valueCoding"), "code") == "AOE"
        for coding in children(code, "coding")
        for ext in children(coding, "extension")
    )


def _is_lab(resource: Json) -> bool:
    categories = {code for c in children(resource, "category") for code in concept_codes(c)}
    if categories:
        return bool(categories & LAB_CATEGORIES)
    return bool(concept_codes(child(resource, "code")))


def _has_value(resource: Json) -> bool:
    return any(key.startswith("value") and key != "value" for key in resource)
