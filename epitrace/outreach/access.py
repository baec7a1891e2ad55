"""Who sees the message log: holders of ``outreach.view_log`` (supervisors and up).

Anyone else is answered 404, as if the page did not exist; the rows shown are
still only those of the viewer's jurisdictions (restricted querysets).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.http import Http404, HttpRequest, HttpResponseBase

from epitrace.accounts.scope import has_capability

LOG_CAPABILITY = "outreach.view_log"

P = ParamSpec("P")


def reads_log(user: Any) -> bool:
    return has_capability(user, LOG_CAPABILITY)


def log_reader(
    view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    @wraps(view)
    def guarded(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not reads_log(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return guarded
