"""The single way a staff view fetches one personal record by id.

The record comes from the restricted queryset, so another jurisdiction's
record and a missing one give the same 404 (same template, same body),
whatever the HTTP method: the lookup happens before the method is judged.
Each such miss is audited as a denied lookup; each hit as a read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponseNotAllowed

from epitrace.audit.services import record_denied, record_read
from epitrace.core.statements import Restricted

M = TypeVar("M", bound=Model)


def visible_or_404(
    request: HttpRequest, queryset: QuerySet[M] | Restricted[M], pk: Any, *, read: bool = True
) -> M:
    """The record ``pk`` from an already restricted ``queryset``, or 404.

    Or from a ``Restricted`` statement whose one value is the record's id
    (a page read on every request, compiled once: core/statements.py).
    """
    if isinstance(queryset, Restricted):
        found = queryset.fetch(request.user, int(pk))
    else:
        found = list(queryset.filter(pk=pk)[:2])
    if len(found) != 1:
        raise denied(request, queryset.model, pk)
    obj = found[0]
    if read:
        record_read(request.user, obj, request=request)
    return obj


def denied(request: HttpRequest, model: type[Model], pk: Any) -> Http404:
    """The 404 of a record out of the user's reach (or missing), audited as a denied lookup.

    For a view whose lookup happened elsewhere (a service's locking read).
    """
    record_denied(request.user, model, pk, request=request)
    return Http404()


def method_not_allowed(
    request: HttpRequest, allowed: Sequence[str]
) -> HttpResponseNotAllowed | None:
    """405 for a method the view does not take, judged after the record was found."""
    if request.method in allowed or (request.method == "HEAD" and "GET" in allowed):
        return None
    return HttpResponseNotAllowed(list(allowed))
