"""epitrace export lab-results: the documented columns, import order, scoping."""

from __future__ import annotations

import csv
import io
import json
from contextlib import redirect_stdout

import pytest
from django.core.management import call_command

from epitrace.labs.exports import COLUMNS
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db
REQUIRED = [
    "control_id",
    "family_name",
    "given_name",
    "birth_date",
    "sex",
    "street",
    "city",
    "postcode",
    "phone",
    "test_code",
    "test_loinc",
    "test_name",
    "result",
    "result_code",
    "status",
    "specimen_collected_at",
    "performing_lab_id",
    "sending_facility",
    "case_id",
    "jurisdiction",
]


def export(*args: str) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        call_command("export", "lab-results", *args)
    return out.getvalue()


def test_csv_has_the_documented_columns_in_import_order(personas: Personas) -> None:
    rows = list(csv.DictReader(io.StringIO(export())))
    assert set(REQUIRED) <= set(COLUMNS)
    assert [r["control_id"] for r in rows] == [personas.a.lab.control_id, personas.b.lab.control_id]
    first = rows[0]
    assert (first["family_name"], first["result"], first["sex"]) == (
        "Alvarez",
        "positive",
        personas.a.person.sex,
    )
    assert first["phone"].startswith("+1")
    assert first["specimen_collected_at"].endswith("Z")
    assert first["case_id"] == str(personas.a.case.pk)
    assert first["jurisdiction"] == "lhd-a"


def test_json_and_a_user_see_only_their_jurisdiction(personas: Personas) -> None:
    rows = json.loads(export("--format", "json", "--user", personas.b.tracer.username))
    assert [r["control_id"] for r in rows] == [personas.b.lab.control_id]


def test_since_filters_on_import_time(personas: Personas) -> None:
    assert list(csv.DictReader(io.StringIO(export("--since", "2999-01-01")))) == []
