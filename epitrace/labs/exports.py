"""The lab-results export: one row per stored result, in import order.

The command line, the staff page and the API stream the same rows, each
restricted to what the requesting identity may see, and audit the export
with one read event per person it showed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from epitrace.audit.services import ObjectRef, record, record_bulk
from epitrace.labs.models import LabResult
from epitrace.people.models import ContactPoint

COLUMNS = [
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
    "imported_at",
]
CHUNK = 2000


def lab_results(user: Any, since: dt.datetime | None = None) -> QuerySet[LabResult]:
    phone = ContactPoint.objects.restrict(user, "view").filter(
        person=OuterRef("person_id"), kind="phone"
    )
    rows = (
        LabResult.objects.restrict(user, "view")
        .select_related("person", "jurisdiction")
        .annotate(phone=Subquery(phone.order_by("rank", "id").values("value")[:1]))
        .order_by("id")
    )
    return rows.filter(imported_at__gte=since) if since else rows


def row(lab: LabResult) -> dict[str, Any]:
    person = lab.person
    return {
        "control_id": lab.control_id,
        "family_name": person.family_name,
        "given_name": person.given_name,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "sex": person.sex,
        "street": person.street,
        "city": person.city,
        "postcode": person.postcode,
        "phone": getattr(lab, "phone", None) or "",
        "test_code": lab.test_code,
        "test_loinc": lab.test_loinc,
        "test_name": lab.test_name,
        "result": lab.interpretation,
        "result_code": lab.result_code,
        "status": lab.status,
        "specimen_collected_at": _moment(lab.specimen_collected_at, lab.specimen_utc_offset),
        "performing_lab_id": lab.performing_lab_id,
        "sending_facility": lab.sending_facility,
        "case_id": lab.case_id or "",
        "jurisdiction": lab.jurisdiction.code,
        "imported_at": _moment(lab.imported_at, None),
    }


def _moment(value: dt.datetime | None, offset_minutes: int | None) -> str:
    """ISO 8601 in the sender's offset when known, else UTC with Z (cli.md)."""
    if value is None:
        return ""
    if offset_minutes is None:
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return value.astimezone(dt.timezone(dt.timedelta(minutes=offset_minutes))).isoformat()


def stream(
    user: Any, fmt: str, since: dt.datetime | None = None, request: Any = None
) -> Iterator[str]:
    """The export as text chunks, auditing each chunk of rows as it goes out."""
    if fmt not in {"csv", "json"}:
        raise ValueError("format must be csv or json")
    record(
        "export",
        actor=user,
        obj=ObjectRef.of(LabResult, "*"),
        request=request,
        payload={
            "export": "lab-results",
            "format": fmt,
            "since": since.isoformat() if since else None,
        },
    )
    yield _csv_line(COLUMNS) if fmt == "csv" else "["
    first = True
    for chunk in _chunks(lab_results(user, since)):
        record_bulk(user, "read", _persons(chunk), reason="lab-results export", request=request)
        for lab in chunk:
            if fmt == "csv":
                yield _csv_line([row(lab)[c] for c in COLUMNS])
            else:
                yield ("" if first else ",") + "\n" + json.dumps(row(lab), ensure_ascii=False)
                first = False
    if fmt == "json":
        yield "\n]\n"


def _chunks(rows: QuerySet[LabResult]) -> Iterator[list[LabResult]]:
    chunk: list[LabResult] = []
    for lab in rows.iterator(chunk_size=CHUNK):
        chunk.append(lab)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _persons(chunk: list[LabResult]) -> list[Any]:
    seen: dict[int, Any] = {}
    for lab in chunk:
        seen.setdefault(lab.person_id, lab.person)
    return list(seen.values())


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()
