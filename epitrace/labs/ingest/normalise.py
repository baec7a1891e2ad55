"""Normalisation of reported results against the code tables.

One place for every format: the test (as LOINC, its class, its disease), the
result's interpretation (from a SNOMED CT or LOINC answer code, else from
the text), the result status, and the collection time in the state's zone
when the sender gave none.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings

from epitrace.diseases.models import Interpretation, ResultCode, TestClass, TestCode
from epitrace.labs.choices import ResultStatus
from epitrace.labs.ingest.report import Result

LOINC_SYSTEMS = {"LN", "LOINC", "HTTP://LOINC.ORG", "2.16.840.1.113883.6.1"}
SNOMED_SYSTEMS = {
    "SCT",
    "SNM",
    "SNOMED",
    "SNOMEDCT",
    "HTTP://SNOMED.INFO/SCT",
    "2.16.840.1.113883.6.96",
}
LOINC_PATTERN = re.compile(r"^\d{1,7}-\d$")

# Result texts as labs write them; checked after the codes, longest first so
# "not detected" never reads as "detected".
TEXT_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), interpretation)
    for p, interpretation in [
        (r"\b(not|non)[ -]?(detected|reactive)\b|\bundetected\b|\bnegative\b|\bneg\b", "negative"),
        (r"\binconclusive\b|\bindeterminate\b|\bequivocal\b|\binvalid\b", "inconclusive"),
        (r"\bpresumptive positive\b|\bdetected\b|\breactive\b|\bpositive\b|\bpos\b", "positive"),
    ]
]
STATUSES = {
    "P": ResultStatus.PRELIMINARY,
    "PRELIMINARY": ResultStatus.PRELIMINARY,
    "REGISTERED": ResultStatus.PRELIMINARY,
    "I": ResultStatus.PRELIMINARY,
    "F": ResultStatus.FINAL,
    "FINAL": ResultStatus.FINAL,
    "R": ResultStatus.FINAL,  # results entered, not verified: still the lab's result
    "S": ResultStatus.PRELIMINARY,
    "C": ResultStatus.CORRECTED,
    "CORRECTED": ResultStatus.CORRECTED,
    "AMENDED": ResultStatus.CORRECTED,
    "X": ResultStatus.CANCELLED,
    "D": ResultStatus.CANCELLED,
    "W": ResultStatus.CANCELLED,  # posted to the wrong patient
    "CANCELLED": ResultStatus.CANCELLED,
    "ENTERED-IN-ERROR": ResultStatus.CANCELLED,
}


@dataclass(frozen=True)
class Test:
    loinc: str
    name: str
    test_class: str
    disease_id: int | None


class CodeTables:
    """The code tables in memory for one import run (a few hundred rows)."""

    @cached_property
    def tests(self) -> dict[str, Test]:
        return {
            t.loinc: Test(t.loinc, t.name, t.test_class, t.disease_id)
            for t in TestCode.objects.all()
        }

    @cached_property
    def results(self) -> dict[tuple[str, str], str]:
        return {(_system_key(r.system), r.code): r.interpretation for r in ResultCode.objects.all()}

    def loinc_of(self, result: Result) -> str:
        """The LOINC code of the test: the primary code, else the alternate one."""
        for code, system in [
            (result.test_code, result.test_code_system),
            (result.alternate_test_code, result.alternate_test_code_system),
        ]:
            if code and (
                system.upper() in LOINC_SYSTEMS or (not system and LOINC_PATTERN.match(code))
            ):
                return code.strip()
        return ""

    def test_of(self, loinc: str) -> Test | None:
        return self.tests.get(loinc)

    def interpretation_of(self, result: Result) -> str:
        if result.value_code:
            found = self.results.get((_system_key(result.value_code_system), result.value_code))
            if found:
                return found
        for text in (result.value, result.abnormal_flag):
            for pattern, interpretation in TEXT_RULES:
                if text and pattern.search(text):
                    return interpretation
        return Interpretation.OTHER


def _system_key(system: str) -> str:
    upper = system.strip().upper()
    if upper in SNOMED_SYSTEMS:
        return "SCT"
    if upper in LOINC_SYSTEMS:
        return "LN"
    return upper


def status_of(raw: str) -> str:
    """The result status; a result with none is taken as final (most ELR omit nothing)."""
    return STATUSES.get(raw.strip().upper(), ResultStatus.FINAL) if raw else ResultStatus.FINAL


def aware(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    """A timestamp for storage: the sender's offset kept, else the state's zone assumed."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(12))  # a date only: midday, never a day off
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return value


def test_class_of(test: Test | None) -> str:
    return test.test_class if test else TestClass.OTHER
