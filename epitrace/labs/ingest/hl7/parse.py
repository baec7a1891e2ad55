"""One HL7 v2 ORU^R01 message -> :class:`LabReport`, or :class:`Rejected`.

The steps: normalise segment separators, tokenise (``tokens``), group the
segments (``segments.read_structure``), check it is a lab result about one
person, read the patient (``patient``) and the results (``results``).

Rejected, with a reason a person can act on: text not starting with MSH or
with bad encoding characters, text the tokenizer cannot split, a message
type other than ORU^R01 (an ``ORU`` with an empty trigger event counts as
R01), no PID or several, a subject whose species (PID-35) is not human or
who has a breed (PID-36), no OBX that names a test (answers to order-entry
questions alone are not a result).
A bug of ours while reading a message rejects that message alone, with a
reason starting with :data:`INTERNAL_ERROR`, instead of stopping a batch.
"""

from __future__ import annotations

from epitrace.labs.ingest.hl7.patient import read_patient
from epitrace.labs.ingest.hl7.results import read_results
from epitrace.labs.ingest.hl7.segments import Reader, Structure, hd_text, read_structure
from epitrace.labs.ingest.hl7.timestamps import parse_datetime
from epitrace.labs.ingest.hl7.tokens import TokenizeError, Tokenizer, tokenize
from epitrace.labs.ingest.report import LabReport, Rejected

INTERNAL_ERROR = "internal error while reading the message"
LAB_RESULT_TYPE = "ORU^R01"
_SURROUNDING = " \t\r\n\x0b\x1c\x00\ufeff"  # blanks, MLLP framing bytes, a BOM


def parse_hl7_message(text: str, *, tokenizer: Tokenizer = tokenize) -> LabReport:
    """Read one HL7 v2 message; raise :class:`Rejected` when it is not a usable
    lab report. No other exception escapes."""
    control_id = ""
    try:
        tokens = tokenizer(normalise_segments(text))
        if not tokens.segments or tokens.segments[0].name != "MSH":
            raise Rejected("the message does not start with an MSH segment")
        r = Reader(tokens.delimiters)
        structure = read_structure(tokens.segments)
        control_id = r.value(structure.msh, 10)
        return _report(r, structure, control_id)
    except Rejected:
        raise
    except TokenizeError as exc:
        raise Rejected(str(exc), control_id=control_id) from exc
    except Exception as exc:
        raise Rejected(f"{INTERNAL_ERROR} ({exc!r})", control_id=control_id) from exc


def normalise_segments(text: str) -> str:
    """Segments separated by a single '\\r' (HL7's terminator), whatever line
    endings the file had, without blank lines or surrounding framing bytes."""
    text = text.strip(_SURROUNDING)
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    if "\r\r" in text or "\r " in text or " \r" in text:
        text = "\r".join(s for line in text.split("\r") if (s := line.strip()))
    return text


def _report(r: Reader, structure: Structure, control_id: str) -> LabReport:
    msh = structure.msh
    _check_type(r, structure, control_id)
    if not structure.patients:
        raise Rejected("no patient: the message has no PID segment", control_id=control_id)
    if len(structure.patients) > 1:
        raise Rejected(
            f"{len(structure.patients)} patients (PID segments) in one message; "
            "ELR sends one patient per message",
            control_id=control_id,
        )
    patient = read_patient(r, structure.patients[0])
    if patient.species:
        raise Rejected(
            f"the subject is not a person (species {patient.species!r}, PID-35/PID-36)",
            control_id=control_id,
        )
    results, answers = read_results(r, structure.groups)
    if not results:
        what = "only answers to order-entry questions" if answers else "no OBX with a test code"
        raise Rejected(f"no test result: {what} (OBX-3)", control_id=control_id)
    return LabReport(
        format="hl7",
        control_id=control_id,
        sending_facility=hd_text(r.value(msh, 4, 1), r.value(msh, 4, 2)),
        sending_application=hd_text(r.value(msh, 3, 1), r.value(msh, 3, 2)),
        message_type=LAB_RESULT_TYPE,
        version=r.value(msh, 12),
        sent_at=parse_datetime(r.value(msh, 7)),
        patient=patient,
        results=results,
        answers=answers,
    )


def _check_type(r: Reader, structure: Structure, control_id: str) -> None:
    # MSH-9: message code ^ trigger event ^ message structure
    code, trigger = r.value(structure.msh, 9, 1), r.value(structure.msh, 9, 2)
    if code == "ORU" and trigger in ("R01", ""):
        return
    sent = "^".join(p for p in (code, trigger) if p)
    if not sent:
        raise Rejected(
            f"no message type (MSH-9 is empty); expected {LAB_RESULT_TYPE}", control_id=control_id
        )
    raise Rejected(f"{sent} is not a lab result ({LAB_RESULT_TYPE})", control_id=control_id)
