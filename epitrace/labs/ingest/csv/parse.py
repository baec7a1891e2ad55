"""One row of the lab CSV format as a :class:`LabReport`.

A row is refused, with the column named, when it has no test code, when the
person cannot be identified (no patient_id, and no family_name with
birth_date), or when a date or the status cannot be read. Codes default to
the systems the format documents: LOINC for the test, SNOMED CT for the result.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from epitrace.labs.ingest.csv.values import (
    BadValue,
    parse_date,
    parse_moment,
    parse_sex,
    parse_status,
    phones,
)
from epitrace.labs.ingest.report import Identifier, LabReport, Patient, Rejected, Result


class _Row:
    """A row record's cells by our column names, always strings."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.control_id = self["control_id"]

    def __getitem__(self, column: str) -> str:
        value = self.record.get(column)
        if value is None:
            return ""
        return str(value).replace("\x00", "").strip()

    def moment(self, column: str) -> dt.datetime | dt.date | None:
        try:
            return parse_moment(self[column])
        except BadValue as exc:
            raise Rejected(f"{column}: {exc}", control_id=self.control_id) from None

    def date(self, column: str) -> dt.date | None:
        try:
            return parse_date(self[column])
        except BadValue as exc:
            raise Rejected(f"{column}: {exc}", control_id=self.control_id) from None


def parse_csv_row(text: str) -> LabReport:
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        raise Rejected("not a CSV row record (expected a JSON object of columns)") from None
    if not isinstance(record, dict):
        raise Rejected("not a CSV row record (expected a JSON object of columns)")
    row = _Row(record)
    if not row["test_code"]:
        raise Rejected(
            "test_code is empty: the test cannot be identified", control_id=row.control_id
        )
    patient = _patient(row)
    if not (patient.identifiers or (patient.family_name and patient.birth_date)):
        raise Rejected(
            "no patient_id, and no family_name with birth_date: the person cannot be identified",
            control_id=row.control_id,
        )
    return LabReport(
        format="csv",
        control_id=row.control_id,
        sending_facility=row["sending_facility"],
        sending_application=row["sending_application"],
        patient=patient,
        results=[_result(row)],
    )


def _patient(row: _Row) -> Patient:
    identifiers = []
    if row["patient_id"]:
        identifiers.append(
            Identifier(row["patient_id"], row["patient_id_authority"], row["patient_id_type"])
        )
    return Patient(
        identifiers=identifiers,
        family_name=row["family_name"],
        given_name=row["given_name"],
        middle_name=row["middle_name"],
        suffix=row["suffix"],
        birth_date=row.date("birth_date"),
        sex=parse_sex(row["sex"]),
        race=row["race"],
        ethnicity=row["ethnicity"],
        street=row["street"],
        unit=row["unit"],
        city=row["city"],
        state=row["state"],
        postcode=row["postcode"],
        county=row["county"],
        country=row["country"],
        phones=phones(row["phone"]),
        emails=[e.strip() for e in row["email"].split(";") if e.strip()],
        language=row["language"].lower(),
        deceased_date=row.date("deceased_date"),
    )


def _result(row: _Row) -> Result:
    try:
        status = parse_status(row["status"])
    except BadValue as exc:
        raise Rejected(f"status: {exc}", control_id=row.control_id) from None
    value, code = row["result"], row["result_code"]
    return Result(
        test_code=row["test_code"],
        test_code_system=row["test_code_system"] or "LN",
        test_name=row["test_name"],
        value=value or code,
        value_type="CWE" if code else "ST",
        value_code=code,
        value_code_system=(row["result_code_system"] or "SCT") if code else "",
        units=row["units"],
        reference_range=row["reference_range"],
        abnormal_flag=row["abnormal_flag"],
        status=status,
        observation_id=row["observation_id"],
        accession=row["accession"],
        specimen_collected_at=row.moment("specimen_collected_at"),
        specimen_received_at=row.moment("specimen_received_at"),
        specimen_type=row["specimen_type"],
        resulted_at=row.moment("resulted_at"),
        performing_lab_id=row["performing_lab_id"],
        performing_lab_name=row["performing_lab_name"],
        ordering_facility=row["ordering_facility"],
        ordering_provider=row["ordering_provider"],
        method=row["method"],
    )
