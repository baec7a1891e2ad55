"""What every lab-report parser produces: one format-neutral report per message.

The HL7 v2, FHIR R4 and CSV parsers each turn one message (an HL7 message,
a FHIR Bundle or lone resource, a CSV row) into a :class:`LabReport`, values
as sent but cleaned of transport syntax (escapes unescaped, repetitions
split, timestamps parsed keeping the sender's offset, phones in E.164 where
they can be). Normalisation against the code tables, person matching and
case logic happen after, once, in the pipeline, whatever the format.

A message that cannot become a report raises :class:`Rejected` with a reason
a person can act on; parsers never let another exception escape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class Rejected(Exception):
    """The message is not a usable lab report; ``reason`` says why."""

    def __init__(self, reason: str, *, control_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.control_id = control_id


@dataclass
class RawItem:
    """One message cut out of a file or stream, before parsing."""

    index: int  # 1-based position in its file or stream
    text: str
    # A problem found while cutting (e.g. an unterminated MLLP frame): the
    # item is rejected with this reason without being parsed.
    problem: str = ""


@dataclass
class Identifier:
    value: str
    authority: str = ""  # assigning authority (HL7 CX.4 / FHIR identifier.system)
    type_code: str = ""  # HL7 table 0203 (MR, PI, SS, DL...) / FHIR identifier.type


@dataclass
class Patient:
    identifiers: list[Identifier] = field(default_factory=list)
    family_name: str = ""
    given_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    birth_date: dt.date | None = None
    sex: str = "U"  # M, F, O or U
    race: str = ""
    ethnicity: str = ""
    street: str = ""
    unit: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    county: str = ""
    country: str = ""
    phones: list[str] = field(default_factory=list)  # E.164 when parseable, else as sent
    emails: list[str] = field(default_factory=list)
    language: str = ""  # ISO 639 code when known
    deceased_date: dt.date | None = None
    species: str = ""  # set when the subject is not human (then rejected)


@dataclass
class Result:
    test_code: str  # as sent (OBX-3.1 / Observation.code.coding.code)
    test_code_system: str = ""  # LN, L (local), http://loinc.org...
    test_name: str = ""
    alternate_test_code: str = ""  # OBX-3.4 or a second coding, often the LOINC
    alternate_test_code_system: str = ""
    value: str = ""  # the result as sent, human-readable
    value_type: str = ""  # HL7 OBX-2 (CWE, CE, ST, NM, SN, TX...) or FHIR value[x] type
    value_code: str = ""  # coded result (SNOMED CT, LOINC answer)
    value_code_system: str = ""
    units: str = ""
    reference_range: str = ""
    abnormal_flag: str = ""  # OBX-8 / Observation.interpretation code
    status: str = ""  # as sent: HL7 OBX-11 (P, F, C, X, ...) or FHIR status
    observation_id: str = ""  # stable id of this observation at the sender, if any
    accession: str = ""  # filler order / specimen id linking a correction to the original
    specimen_collected_at: dt.datetime | dt.date | None = None
    specimen_received_at: dt.datetime | dt.date | None = None
    specimen_type: str = ""
    resulted_at: dt.datetime | dt.date | None = None  # OBX-19, else OBX-14, else OBR-22
    performing_lab_id: str = ""  # CLIA where given
    performing_lab_name: str = ""
    ordering_facility: str = ""
    ordering_provider: str = ""
    method: str = ""  # OBX-17 / Observation.method / device


@dataclass
class LabReport:
    format: str  # hl7, fhir, csv
    control_id: str = ""  # MSH-10 / Bundle.identifier / MessageHeader.id / CSV column
    sending_facility: str = ""  # MSH-4 (with its id) / MessageHeader.source / CSV column
    sending_application: str = ""
    message_type: str = ""  # ORU^R01, or the FHIR bundle type
    version: str = ""  # HL7 MSH-12 / FHIR R4
    sent_at: dt.datetime | None = None
    patient: Patient = field(default_factory=Patient)
    results: list[Result] = field(default_factory=list)
    # Ask-at-order-entry answers and similar, kept as (code, value) pairs.
    answers: list[tuple[str, str]] = field(default_factory=list)
