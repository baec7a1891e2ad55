"""Install the shipped reference data: diseases, code tables and disease profiles.

Called by a data migration (with the historical models) so that a freshly
migrated database is usable, and idempotent so it can run again after an
upgrade adds codes. Rows an administrator has edited are left alone: only
missing rows are created.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

REFERENCE_FILE = Path(__file__).parent / "data" / "reference.json"


def load_reference(apps: Any) -> None:
    data = json.loads(REFERENCE_FILE.read_text())
    Disease = apps.get_model("diseases", "Disease")
    TestCode = apps.get_model("diseases", "TestCode")
    ResultCode = apps.get_model("diseases", "ResultCode")
    DiseaseProfile = apps.get_model("diseases", "DiseaseProfile")

    diseases = {}
    for row in data["diseases"]:
        disease, _ = Disease.objects.get_or_create(code=row["code"], defaults=row)
        diseases[row["code"]] = disease
    for row in data["test_codes"]:
        defaults = {**row, "disease": diseases.get(row["disease"]) if row["disease"] else None}
        TestCode.objects.get_or_create(loinc=row["loinc"], defaults=defaults)
    for row in data["result_codes"]:
        ResultCode.objects.get_or_create(system=row["system"], code=row["code"], defaults=row)
    for row in data["profiles"]:
        disease = diseases[row["disease"]]
        tests = [
            {"loinc": t["loinc"], "test_class": t["test_class"]}
            for t in data["test_codes"]
            if t["disease"] == row["disease"]
        ]
        defaults = {
            **row,
            "disease": disease,
            "tests": tests,
            "effective_from": dt.date.fromisoformat(row["effective_from"]),
            "effective_to": dt.date.fromisoformat(row["effective_to"])
            if row["effective_to"]
            else None,
        }
        DiseaseProfile.objects.get_or_create(key=row["key"], defaults=defaults)
