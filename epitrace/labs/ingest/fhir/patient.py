"""The person a report is about, from a FHIR Patient.

Mirrors what an HL7 parser takes from PID: identifiers (PID-3), the name
(PID-5: official or usual first; given[1] is the middle name), birth date
(PID-7, full dates only), sex (PID-8), race and ethnicity (US Core or
ReportStream extensions: the code, else the text), the home address
(PID-11), phones (E.164 when valid) and e-mails (PID-13/14), language
(PID-15: the BCP 47 primary subtag, ``en``) and death. An identifier's
authority is its system, else its assigner's name or id (CX.4), else the
managing organization's.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers

from epitrace.labs.ingest.fhir.nodes import (
    Json,
    child,
    children,
    codings,
    concept_codes,
    concept_text,
    reference,
    text,
    texts,
)
from epitrace.labs.ingest.fhir.resolve import Index, Node
from epitrace.labs.ingest.fhir.timestamps import Unreadable, parse_timestamp
from epitrace.labs.ingest.report import Identifier, Patient, Rejected

PHONE_REGION = "US"
SEX = {"male": "M", "female": "F", "other": "O", "unknown": "U"}
ANIMAL = "http://hl7.org/fhir/StructureDefinition/patient-animal"
HUMAN_SPECIES = {"337915000"}  # SNOMED CT Homo sapiens
RACE_URLS = (
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
    "http://ibm.com/fhir/cdm/StructureDefinition/local-race-cd",
)
ETHNICITY_URLS = (
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
    "https://reportstream.cdc.gov/fhir/StructureDefinition/ethnic-group",
)


def read_patient(node: Node, index: Index, control: str) -> Patient:
    resource = node.resource
    species = _species(resource)
    if species:
        raise Rejected(
            f"{node.label} is not a person (species: {species}); only human results are imported",
            control_id=control,
        )
    patient = Patient(
        identifiers=_identifiers(node, index),
        birth_date=_date(node, "birthDate", control),
        sex=SEX.get(text(resource, "gender").lower(), "U"),
        race=_coded_extension(resource, RACE_URLS),
        ethnicity=_coded_extension(resource, ETHNICITY_URLS),
        language=_language(resource),
        deceased_date=_date(node, "deceasedDateTime", control),
    )
    _name(resource, patient)
    _address(resource, patient)
    _telecom(resource, patient)
    return patient


def _species(resource: Json) -> str:
    """The species of an animal patient; "" for a person.

    ReportStream writes the extension with an empty value when PID-35 is
    blank: without a species it says nothing, so it does not make an animal.
    """
    for ext in children(resource, "extension"):
        if text(ext, "url") != ANIMAL:
            continue
        concept = child(ext, "valueCodeableConcept")
        for inner in children(ext, "extension"):
            if text(inner, "url") == "species":
                concept = child(inner, "valueCodeableConcept")
        if concept_codes(concept) & HUMAN_SPECIES:
            return ""
        return concept_text(concept)
    return ""


def _identifiers(node: Node, index: Index) -> list[Identifier]:
    # An identifier with neither system nor assigner was issued by whoever keeps
    # the record: the managing organization (ReportStream writes it as PID-3.4).
    keeper = _organization_name(
        index.resolve(reference(node.resource, "managingOrganization"), node)
    )
    found = []
    for ident in children(node.resource, "identifier"):
        value = text(ident, "value")
        if not value:
            continue
        authority = text(ident, "system") or _assigner(ident, node, index) or keeper
        type_codes = codings(child(ident, "type"))
        type_code = text(type_codes[0], "code") if type_codes else ""
        found.append(Identifier(value, authority, type_code))
    return found


def _assigner(ident: Json, node: Node, index: Index) -> str:
    org = index.resolve(reference(ident, "assigner"), node)
    return _organization_name(org) or text(child(ident, "assigner"), "display")


def _organization_name(org: Node | None) -> str:
    """Like CX.4 (HD namespace, else universal id): the name, else the first id."""
    if org is None or org.type != "Organization":
        return ""
    ids = [text(i, "value") for i in children(org.resource, "identifier") if text(i, "value")]
    return text(org.resource, "name") or (ids[0] if ids else "")


def _name(resource: Json, patient: Patient) -> None:
    names = children(resource, "name")
    if not names:
        return
    name = next(
        (n for use in ("official", "usual") for n in names if text(n, "use") == use), names[0]
    )
    given = texts(name, "given")
    patient.family_name = text(name, "family")
    patient.given_name = given[0] if given else ""
    patient.middle_name = given[1] if len(given) > 1 else ""
    patient.suffix = next(iter(texts(name, "suffix")), "")
    if not patient.family_name and not given and text(name, "text"):
        # Only a display name: its last word is taken as the family name.
        *first, last = text(name, "text").split()
        patient.family_name, patient.given_name = last, " ".join(first)


def _date(node: Node, key: str, control: str) -> dt.date | None:
    value = text(node.resource, key)
    if not value:
        return None
    try:
        parsed = parse_timestamp(value)
    except Unreadable:
        raise Rejected(
            f"{node.label} {key}: {value!r} is not a FHIR date", control_id=control
        ) from None
    return parsed.date() if isinstance(parsed, dt.datetime) else parsed


def _coded_extension(resource: Json, urls: tuple[str, ...]) -> str:
    """A race or ethnicity code (US Core ombCategory or a CodeableConcept value), else its text."""
    for ext in children(resource, "extension"):
        if text(ext, "url") not in urls:
            continue
        concept = child(ext, "valueCodeableConcept")
        coded = codings(concept)
        if coded:
            return text(coded[0], "code")
        for inner in children(ext, "extension"):
            if text(inner, "url") == "ombCategory" and text(child(inner, "valueCoding"), "code"):
                return text(child(inner, "valueCoding"), "code")
        for inner in children(ext, "extension"):
            if text(inner, "url") == "text" and text(inner, "valueString"):
                return text(inner, "valueString")
        return text(concept, "text")
    return ""


def _language(resource: Json) -> str:
    """The ISO 639 part of the preferred communication language (BCP 47 ``en-US`` -> ``en``)."""
    comms = children(resource, "communication")
    comms.sort(key=lambda c: c.get("preferred") is not True)
    for comm in comms:
        for coding in codings(child(comm, "language")):
            return text(coding, "code").split("-")[0].lower()
    return ""


def _address(resource: Json, patient: Patient) -> None:
    addresses = children(resource, "address")
    if not addresses:
        return
    address = next((a for a in addresses if text(a, "use") == "home"), addresses[0])
    lines = texts(address, "line")
    patient.street = lines[0] if lines else ""
    patient.unit = lines[1] if len(lines) > 1 else ""
    patient.city = text(address, "city")
    patient.state = text(address, "state")
    patient.postcode = text(address, "postalCode")
    patient.county = text(address, "district")
    patient.country = text(address, "country")


def _telecom(resource: Json, patient: Patient) -> None:
    for point in children(resource, "telecom"):
        value, system = text(point, "value"), text(point, "system")
        if not value:
            continue
        if system in {"phone", "sms"} and e164(value) not in patient.phones:
            patient.phones.append(e164(value))
        elif system == "email" and value not in patient.emails:
            patient.emails.append(value)


def e164(value: str) -> str:
    """A valid phone number in E.164 (US default), else as sent for a person to look at.

    Validity, not mere length, as the HL7 parser decides: 555-01xx film numbers
    and unassigned area codes stay as sent (and the pipeline stores no contact point).
    """
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
