"""The lab-results export page.

The form is POSTed, although its fields (a format, a day) are not personal:
an export discloses personal data of many people and is audited as such, so
it must be a deliberate act of the signed-in user. A POST carries a CSRF
token, so no link, prefetch or page on another site can start one, and
going back through the browser history does not run it again.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from epitrace.accounts.scope import has_capability
from epitrace.labs.web.downloads import lab_results_download
from epitrace.labs.web.forms import ExportForm

EXPORT_CAPABILITY = "reports.export"


@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponseBase:
    if not has_capability(request.user, EXPORT_CAPABILITY):
        raise Http404
    form = ExportForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        return lab_results_download(
            request.user, form.cleaned_data["format"], form.since_moment(), request
        )
    return render(request, "labs/export.html", {"form": form})
