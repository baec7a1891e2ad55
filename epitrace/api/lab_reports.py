"""POST /api/v1/lab-reports: one HL7 v2 message or FHIR document per request.

The same pipeline as every other entry point. Idempotent: sending the same
message again answers 200 "duplicate" and stores nothing. A rejected message
is kept with its reason and answered 422 with a problem document (RFC 9457)
the sender can act on. The body is never logged.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from epitrace.accounts.scope import has_capability
from epitrace.labs.choices import MessageState
from epitrace.labs.ingest.formats import get_format, sniff
from epitrace.labs.ingest.pipeline import Pipeline

MAX_BYTES = 5 * 1024 * 1024
CAPABILITY = "labs.add_labresult"
HL7_TYPES = ("x-application/hl7-v2+er7", "application/hl7-v2", "text/plain")
FHIR_TYPES = ("application/fhir+json", "application/json")


class RawBody(BaseParser):
    """Hands the body over untouched: the pipeline stores it as received."""

    media_type = "*/*"

    def parse(  # type: ignore[override]  # returns the body itself, not a mapping
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> bytes:
        return stream.read(MAX_BYTES + 1) if stream is not None else b""


class LabReportView(APIView):
    parser_classes = [RawBody]

    @extend_schema(
        summary="Submit one lab report",
        description="One HL7 v2 ORU^R01 message or one FHIR R4 Bundle/resource per request.",
        request={HL7_TYPES[0]: OpenApiTypes.STR, FHIR_TYPES[0]: OpenApiTypes.OBJECT},
        responses={
            201: OpenApiResponse(description="Accepted: stored once."),
            200: OpenApiResponse(description="A duplicate of a report already accepted."),
            422: OpenApiResponse(description="Rejected, with the reason; the message is kept."),
        },
    )
    def post(self, request: Request) -> Response:
        if not has_capability(request.user, CAPABILITY):
            raise PermissionDenied("This client may not submit lab reports.")
        body: bytes = request.data if isinstance(request.data, bytes) else b""
        if len(body) > MAX_BYTES:
            return _problem(413, "Too large", f"A report may not exceed {MAX_BYTES} bytes.")
        fmt = _format(request.content_type, body)
        items = list(fmt.split(body))
        if len(items) != 1:
            return _problem(
                400, "One message per request", f"The body holds {len(items)} messages; send each."
            )
        pipeline = Pipeline(actor=request.user, source="api")
        with transaction.atomic():
            outcome = pipeline.process(items[0], fmt, "api")
        if outcome.state == MessageState.REJECTED:
            return _problem(422, "Rejected", outcome.reason, control_id=outcome.control_id)
        status = 201 if outcome.state == MessageState.PROCESSED else 200
        return Response(
            {
                "status": "accepted" if status == 201 else "duplicate",
                "control_id": outcome.control_id,
            },
            status=status,
        )


def _format(content_type: str, body: bytes) -> Any:
    kind = content_type.split(";")[0].strip().lower()
    if kind in FHIR_TYPES:
        return get_format("fhir")
    if kind in HL7_TYPES:
        return get_format("hl7")
    return get_format(sniff(body))


def _problem(status: int, title: str, detail: str, **extra: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(body, status=status, content_type="application/problem+json")
