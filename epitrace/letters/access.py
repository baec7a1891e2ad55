"""Who may edit letter templates: holders of ``letters.change_template`` at the state.

The wording is the state's, used by every department, so a membership at a
local department does not reach it even with the capability. Anyone else is
answered 404 on every template page, as if the pages did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.http import Http404, HttpRequest, HttpResponseBase

from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.jurisdictions.models import Jurisdiction

CAPABILITY = "letters.change_template"

P = ParamSpec("P")


def edits_templates(user: Any) -> bool:
    ids = visible_jurisdiction_ids(user, CAPABILITY)
    if ids is None:  # the system identity
        return True
    return bool(ids) and Jurisdiction.objects.root().pk in ids


def template_editor(
    view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """404 for anyone who may not edit the templates, whatever the method."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not edits_templates(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return guarded
