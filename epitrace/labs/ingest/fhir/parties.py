"""Organizations and practitioners: the sender, the lab, the ordering side.

An organization is written as the HL7 parser writes a facility (HD:
``namespace^universal id``, e.g. ``Testing Lab^12D4567890``, either part alone
when the other is missing), so the sending facility of a FHIR bundle and of
its HL7 rendering (MSH-4) read the same; a practitioner as ``Family, Given``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from epitrace.labs.ingest.fhir.nodes import Json, child, children, concept_codes, text, texts
from epitrace.labs.ingest.fhir.resolve import Index, Node

# CLIA numbers: two digits, "D", seven digits; OID 2.16.840.1.113883.4.7 is CLIA's.
_CLIA = re.compile(r"^\d{2}D\d{7}$")
_CLIA_OID = "2.16.840.1.113883.4.7"


@dataclass
class Facility:
    name: str = ""
    identifier: str = ""
    id_type: str = ""

    @property
    def label(self) -> str:
        if self.name and self.identifier:
            return f"{self.name}^{self.identifier}"
        return self.name or self.identifier


def facility(org: Json) -> Facility:
    """An Organization's name and its CLIA number (else its first identifier)."""
    name = text(org, "name")
    identifiers = [i for i in children(org, "identifier") if _value(i)]
    for ident in identifiers:
        if _is_clia(ident):
            return Facility(name, _value(ident), "CLIA")
    if identifiers:
        first = identifiers[0]
        kind = next(iter(sorted(concept_codes(child(first, "type")))), "")
        return Facility(name, _value(first), kind)
    return Facility(name)


def _value(ident: Json) -> str:
    # Some converters write an id as an OID URN even when it is a CLIA number.
    return text(ident, "value").removeprefix("urn:oid:")


def _is_clia(ident: Json) -> bool:
    codes = {c.upper() for c in concept_codes(child(ident, "type"))}
    return "CLIA" in codes or _CLIA_OID in text(ident, "system") or bool(_CLIA.match(_value(ident)))


def organization_of(node: Node | None, index: Index) -> Node | None:
    """The Organization a reference target stands for (a PractitionerRole's organization)."""
    if node is None:
        return None
    if node.type == "Organization":
        return node
    if node.type == "PractitionerRole":
        return index.resolve(text(child(node.resource, "organization"), "reference"), node)
    return None


def practitioner_of(node: Node | None, index: Index) -> Node | None:
    if node is None:
        return None
    if node.type == "Practitioner":
        return node
    if node.type == "PractitionerRole":
        return index.resolve(text(child(node.resource, "practitioner"), "reference"), node)
    return None


def person_name(resource: Json) -> str:
    """A Practitioner's name as "Family, Given" (its official name first), like XCN."""
    names = children(resource, "name")
    if not names:
        return ""
    name = next((n for n in names if text(n, "use") == "official"), names[0])
    family, given = text(name, "family"), next(iter(texts(name, "given")), "")
    if family and given:
        return f"{family}, {given}"
    return family or given or text(name, "text")
