"""The lab-results export as an HTTP download, shared by the staff page and the API.

The rows stream as they are read (an export of a whole state does not sit
in memory) through ``epitrace.labs.exports.stream``, which restricts them to
the requesting identity and audits the export and every person it shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from epitrace.labs.exports import stream

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


def filename(fmt: str) -> str:
    """``lab-results-YYYYMMDD.csv``, dated the day of the export where the installation is."""
    return f"lab-results-{timezone.localdate():%Y%m%d}.{fmt}"


def lab_results_download(
    user: Any, fmt: str, since: dt.datetime | None, request: HttpRequest | Any
) -> StreamingHttpResponse:
    """The export of what ``user`` may see, as an attachment in ``fmt`` (csv or json)."""
    response = StreamingHttpResponse(
        stream(user, fmt, since, request=request), content_type=CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(fmt)}"'
    # Names, birth dates and results: no shared or browser cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response
