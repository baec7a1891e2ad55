"""The audit screens: who looked at this person; what did this user do.

Thin views: access (404 for anything out of reach), one indexed query for the
page of events, render. Opening either screen is itself audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from epitrace.audit.access import auditable_users, may_audit_users
from epitrace.audit.models import AuditEvent
from epitrace.audit.services import record_denied, record_read
from epitrace.people.models import Person

M = TypeVar("M", bound=Model)


@dataclass
class EventRow:
    """An event and the person it concerns, when the viewer may see that person."""

    event: AuditEvent
    person: Person | None = None


def person_access(request: HttpRequest, pk: int) -> HttpResponse:
    person = _visible_or_404(Person.objects.restrict(request.user, "view"), pk, request)
    record_read(request.user, person, request=request, reason="audit: who looked at this person")
    page = _page(request, AuditEvent.objects.filter(person_id=person.pk))
    context = {
        "person": person,
        "page": page,
        "rows": [EventRow(event, person) for event in page.object_list],
        "links_users": may_audit_users(request.user),
    }
    return render(request, "audit/person_access.html", context)


def user_activity(request: HttpRequest, pk: int) -> HttpResponse:
    target = _visible_or_404(auditable_users(request.user), pk, request)
    record_read(request.user, target, request=request, reason="audit: what did this user do")
    page = _page(request, AuditEvent.objects.filter(actor_id=target.pk))
    context = {"target": target, "page": page, "rows": _rows_with_persons(request, page)}
    return render(request, "audit/user_activity.html", context)


def _visible_or_404(queryset: QuerySet[M], pk: int, request: HttpRequest) -> M:
    """The record, or the same 404 as a missing one; the miss is audited as denied."""
    try:
        return get_object_or_404(queryset, pk=pk)
    except Http404:
        record_denied(request.user, queryset.model, pk, request=request)
        raise


def _page(request: HttpRequest, events: QuerySet[AuditEvent]) -> Page[Any]:
    ordered = events.select_related("actor").order_by("-occurred_at", "-id")
    return Paginator(ordered, settings.EPITRACE_PAGE_SIZE).get_page(request.GET.get("page"))


def _rows_with_persons(request: HttpRequest, page: Page[Any]) -> list[EventRow]:
    """Name a person only when the viewer may see them; otherwise the id alone."""
    ids = {event.person_id for event in page.object_list if event.person_id}
    visible = Person.objects.restrict(request.user, "view").filter(pk__in=ids) if ids else []
    persons = {person.pk: person for person in visible}
    return [EventRow(event, persons.get(event.person_id)) for event in page.object_list]
