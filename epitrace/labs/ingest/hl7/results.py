"""Results of an ORU^R01: one :class:`Result` per OBX that names a test,
with the order (ORC/OBR) and specimen (SPM) context it belongs to.

Rules the pipeline relies on:

- an OBX without a test code (OBX-3.1, else OBX-3.4) is skipped;
- ask-at-order-entry answers (symptoms, pregnancy, congregate setting...)
  go to ``answers`` as ``(question code, answer)`` instead of ``results``:
  an OBX whose OBX-29 (observation type, sent by ReportStream in 2.5.1 too)
  is ``QST`` or ``AOE``, or, when OBX-29 is empty, whose code is one of
  :data:`AOE_QUESTIONS`; ReportStream's NTE form ``"95419-8 Has symptoms...:
  No N HL70136"`` is read too, for those questions only. The answer is the
  coded value (``N``, a SNOMED CT code) when there is one, else the text;
- accession: filler order number (OBR-3, else ORC-3), else placer (OBR-2,
  else ORC-2), else the specimen id (SPM-2 filler, else placer part);
- specimen collected: SPM-17.1, else OBR-7; received: SPM-18, else OBR-14;
  specimen type: SPM-4 code, else OBR-15.1 (v2.3-2.4, no SPM);
- resulted: OBX-19 (analysis time), else OBX-14, else OBR-22;
- performing lab: OBX-23 name (XON.1) and id (XON.10, the CLIA, else XON.3),
  each falling back to OBX-15 (producer's id .1 and name .2);
- ordering facility ORC-21.1; ordering provider ORC-12, else OBR-16;
- value by OBX-2: coded types give ``value_code``/``value_code_system`` and
  the text as ``value``; ST/TX/FT give the unescaped text (repetitions as
  lines); SN gives ``>11.0``, ``1:128`` (an ``=`` comparator dropped);
  ED (encapsulated binary) gives no value; anything else is kept as sent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from epitrace.labs.ingest.aoe import AOE_QUESTIONS
from epitrace.labs.ingest.hl7.segments import OrderGroup, Reader, read_coded, xcn_name
from epitrace.labs.ingest.hl7.timestamps import parse_dtm
from epitrace.labs.ingest.hl7.tokens import Repetition, Segment
from epitrace.labs.ingest.report import Result

# OBX-29 observation types (HL7 table 0936) of an answer to a question:
# QST question/answer, AOE ask at order entry.
ANSWER_TYPES = frozenset({"QST", "AOE"})

_CODED_TYPES = frozenset({"CE", "CWE", "CNE", "CF", "IS", "ID"})
_TEXT_TYPES = frozenset({"ST", "TX", "FT"})
_BINARY_TYPES = frozenset({"ED"})
_COMPARATORS = frozenset({">", "<", ">=", "<=", "<>"})
_NOTE_ANSWER = re.compile(r"(\d{1,7}-\d)\s+[^:]{1,300}:\s*(.*)")
_CODE_SYSTEM = re.compile(r"HL7\d{4}|SCT|SNM|LN|L|UCUM|99[A-Za-z0-9]+")

Timestamp = dt.datetime | dt.date | None


@dataclass(frozen=True, slots=True)
class _OrderContext:
    """What every OBX of one order group shares."""

    accession: str
    collected_at: Timestamp
    received_at: Timestamp
    specimen_type: str
    ordering_facility: str
    ordering_provider: str
    reported_at: Timestamp


def read_results(r: Reader, groups: list[OrderGroup]) -> tuple[list[Result], list[tuple[str, str]]]:
    """All results and ask-at-order-entry answers of the message, in order."""
    results: list[Result] = []
    answers: list[tuple[str, str]] = []
    for group in groups:
        context = _context(r, group)
        for obx in group.observations:
            result = _result(r, obx, context)
            if result is None:
                continue
            if _is_answer(r, obx, result):
                answers.append((result.test_code, result.value_code or result.value))
            else:
                results.append(result)
        _note_answers(r, group.notes, answers)
    return results, answers


def _context(r: Reader, group: OrderGroup) -> _OrderContext:
    obr, orc = group.obr, group.orc
    spm = group.specimens[0] if group.specimens else None
    accession = (
        r.value(obr, 3)
        or r.value(orc, 3)
        or r.value(obr, 2)
        or r.value(orc, 2)
        or r.value(spm, 2, 2)  # SPM-2 is EIP: placer ^ filler, each an EI in subcomponents
        or r.value(spm, 2, 1)
    )
    specimen = read_coded(r, r.first(spm, 4))
    return _OrderContext(
        accession=accession,
        collected_at=_time(r.value(spm, 17, 1, 1)) or _time(r.value(obr, 7)),
        received_at=_time(r.value(spm, 18)) or _time(r.value(obr, 14)),
        specimen_type=specimen.code or specimen.display or r.value(obr, 15, 1, 1),
        ordering_facility=r.value(orc, 21),
        ordering_provider=xcn_name(r, r.first(orc, 12)) or xcn_name(r, r.first(obr, 16)),
        reported_at=_time(r.value(obr, 22)),
    )


def _result(r: Reader, obx: Segment, context: _OrderContext) -> Result | None:
    test = read_coded(r, r.first(obx, 3))
    if not test.code:
        return None
    value_type = r.value(obx, 2).upper()
    value, value_code, value_system = _value(r, value_type, r.repetitions(obx, 5))
    lab_id, lab_name = _performer(r, obx)
    return Result(
        test_code=test.code,
        test_code_system=test.system,
        test_name=test.text or test.alt_text or test.original_text,
        alternate_test_code=test.alt_code,
        alternate_test_code_system=test.alt_system,
        value=value,
        value_type=value_type,
        value_code=value_code,
        value_code_system=value_system,
        units=r.value(obx, 6) or r.value(obx, 6, 2),
        reference_range=r.text(r.first(obx, 7)),
        abnormal_flag=r.value(obx, 8),
        status=r.value(obx, 11),
        observation_id=r.value(obx, 21),
        accession=context.accession,
        specimen_collected_at=context.collected_at,
        specimen_received_at=context.received_at,
        specimen_type=context.specimen_type,
        resulted_at=(_time(r.value(obx, 19)) or _time(r.value(obx, 14)) or context.reported_at),
        performing_lab_id=lab_id,
        performing_lab_name=lab_name,
        ordering_facility=context.ordering_facility,
        ordering_provider=context.ordering_provider,
        method=r.value(obx, 17) or r.value(obx, 17, 2) or r.value(obx, 17, 9),
    )


def _value(r: Reader, value_type: str, reps: list[Repetition]) -> tuple[str, str, str]:
    """OBX-5 as (text, code, code system)."""
    if not reps:
        return "", "", ""
    if value_type in _CODED_TYPES:
        coded = read_coded(r, reps[0])
        return coded.display, coded.code, coded.system if coded.code else ""
    if value_type in _TEXT_TYPES or not value_type:
        return "\n".join(t for rep in reps if (t := r.text(rep))), "", ""
    if value_type == "SN":
        return _structured_numeric(r, reps[0]), "", ""
    if value_type in _BINARY_TYPES:
        return "", "", ""
    return r.text(reps[0]), "", ""


def _structured_numeric(r: Reader, rep: Repetition) -> str:
    # SN: comparator ^ num1 ^ separator/suffix ^ num2 (">^11.0", "^1^:^128")
    comparator = r.part(rep, 1)
    if comparator not in _COMPARATORS:
        comparator = ""
    number, separator, second = r.part(rep, 2), r.part(rep, 3), r.part(rep, 4)
    return f"{comparator}{number}{separator}{second}"


def _performer(r: Reader, obx: Segment) -> tuple[str, str]:
    lab_id = r.value(obx, 23, 10) or r.value(obx, 23, 3)
    lab_name = r.value(obx, 23, 1)
    return lab_id or r.value(obx, 15, 1), lab_name or r.value(obx, 15, 2)


def _is_answer(r: Reader, obx: Segment, result: Result) -> bool:
    observation_type = r.value(obx, 29).upper()
    if observation_type:
        return observation_type in ANSWER_TYPES
    return result.test_code in AOE_QUESTIONS or result.alternate_test_code in AOE_QUESTIONS


def _note_answers(r: Reader, notes: list[Segment], answers: list[tuple[str, str]]) -> None:
    asked = {code for code, _ in answers}
    for nte in notes:
        match = _NOTE_ANSWER.fullmatch(r.text(r.first(nte, 3)))
        if match is None or match[1] not in AOE_QUESTIONS or match[1] in asked:
            continue
        answer = match[2].strip()
        words = answer.rsplit(" ", 2)
        if len(words) == 3 and _CODE_SYSTEM.fullmatch(words[2]):
            answer = words[1]  # "No N HL70136": keep the code, like a coded OBX answer
        answers.append((match[1], answer))
        asked.add(match[1])


def _time(raw: str) -> Timestamp:
    return parse_dtm(raw) if raw else None
