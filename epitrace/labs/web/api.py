"""The lab-results export for API clients.

``GET /api/v1/lab-results/export/?format=csv|json&since=YYYY-MM-DD`` streams
the same rows as the staff page and the command line, restricted to the
caller (an API client's jurisdiction subtree, or a staff member's session)
and audited by ``epitrace.labs.exports.stream``. The caller needs the
``reports.export`` capability: in its list of capabilities for an API
client, through a membership for staff.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from epitrace.accounts.scope import has_capability
from epitrace.labs.web.downloads import lab_results_download
from epitrace.labs.web.forms import ExportForm

EXPORT_CAPABILITY = "reports.export"


class ExportParameters(DefaultContentNegotiation):
    """``format`` names the export's format here, not the response renderer.

    DRF would read ``?format=csv`` as a request for a CSV renderer and answer
    404; the export streams its own body, and errors are answered in JSON.
    """

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


class LabResultExportView(APIView):
    """Stream every lab result the caller may see, as CSV (default) or JSON."""

    content_negotiation_class = ExportParameters

    @extend_schema(
        summary="Export lab results",
        parameters=[
            OpenApiParameter("format", str, enum=["csv", "json"], description="csv by default"),
            OpenApiParameter("since", OpenApiTypes.DATE, description="imported on or after"),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The endpoint is in the public schema: saying what is missing hides nothing.
        if not has_capability(request.user, EXPORT_CAPABILITY):
            raise PermissionDenied(f"The {EXPORT_CAPABILITY} capability is needed.")
        params = {"format": "csv", **request.query_params.dict()}
        form = ExportForm(params)
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        return lab_results_download(
            request.user, form.cleaned_data["format"], form.since_moment(), request
        )


# API clients authenticate in DRF (a key), not with a session: the staff
# login redirect must not answer for them.
lab_results_export = login_not_required(LabResultExportView.as_view())
