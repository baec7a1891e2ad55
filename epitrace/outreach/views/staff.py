"""Staff pages: the message log (supervisors) and the replies that need staff.

Rows come from restricted querysets only: a message or reply of another
jurisdiction is invisible here and answers 404 by id, like a missing one.
Showing rows is audited: a search for the log, a read per reply opened.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.db.models import QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.audit.services import Action, record_bulk, record_search
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.outreach.access import log_reader
from epitrace.outreach.choices import InboundState
from epitrace.outreach.forms import HandledForm, LogFilterForm
from epitrace.outreach.models import InboundMessage, OutboxMessage, Suppression
from epitrace.outreach.services import OutreachError, do_mark_handled
from epitrace.people.models import Person
from epitrace.web.access import method_not_allowed, visible_or_404
from epitrace.web.views.common import HtmxHttpRequest, paginate, render_with_partial, search_data


@log_reader
@require_http_methods(["GET", "POST"])
def message_log(request: HttpRequest) -> HttpResponse:
    data = search_data(request, ("address",))
    form = LogFilterForm(data or None, jurisdictions=_log_jurisdictions(request))
    rows = OutboxMessage.objects.restrict(request.user, "view")
    criteria: dict[str, Any] = {}
    if form.is_valid():
        criteria = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        rows = _filtered(rows, criteria)
    page = paginate(request, rows.order_by("-id"), data)
    shown = list(page.object_list)
    _attach_people(request, shown)
    opted_out = set(
        Suppression.objects.filter(
            address__in={m.address for m in shown}, lifted_at__isnull=True
        ).values_list("address", flat=True)
    )
    if page.number == 1:
        record_search(
            request.user,
            OutboxMessage,
            criteria,
            result_count=page.paginator.count,
            request=request,
        )
    context = {"form": form, "page": page, "rows": shown, "opted_out": opted_out}
    return render_with_partial(
        cast(HtmxHttpRequest, request), "outreach/log.html", context, "results"
    )


def _log_jurisdictions(request: HttpRequest) -> list[Jurisdiction]:
    """The jurisdictions the viewer reads messages of, to filter by."""
    ids = visible_jurisdiction_ids(request.user, "outreach.view_outboxmessage")
    rows = Jurisdiction.objects.all() if ids is None else Jurisdiction.objects.filter(pk__in=ids)
    return list(rows.order_by("path"))


def _filtered(rows: QuerySet[OutboxMessage], criteria: dict[str, Any]) -> QuerySet[OutboxMessage]:
    for name in ("state", "channel", "purpose"):
        if criteria.get(name):
            rows = rows.filter(**{name: criteria[name]})
    if criteria.get("jurisdiction"):
        below = Jurisdiction.objects.filter(pk=criteria["jurisdiction"]).values("path")[:1]
        rows = rows.filter(jurisdiction__path__startswith=Subquery(below))
    if criteria.get("day"):
        rows = rows.filter(key_day=criteria["day"])
    if criteria.get("address"):
        rows = rows.filter(
            address=criteria["address"].lower()
            if "@" in criteria["address"]
            else criteria["address"]
        )
    return rows


def _attach_people(request: HttpRequest, rows: list[Any]) -> None:
    """Each row's person when the viewer may see them (one query), else None."""
    ids = {row.person_id for row in rows if row.person_id}
    people = Person.objects.restrict(request.user, "view").in_bulk(ids) if ids else {}
    for row in rows:
        row.visible_person = people.get(row.person_id)


@require_http_methods(["GET"])
def needs_staff(request: HtmxHttpRequest) -> HttpResponse:
    replies = (
        InboundMessage.objects.restrict(request.user, "change")
        .filter(state=InboundState.NEEDS_STAFF)
        .select_related("outbox")
        .order_by("-created_at", "-id")
    )
    page = paginate(request, replies)
    shown = list(page.object_list)
    _attach_people(request, shown)
    if shown:
        record_bulk(request.user, Action.READ, shown, request=request, reason="replies to handle")
    context = {"page": page, "rows": shown, "form": HandledForm()}
    return render_with_partial(request, "outreach/needs_staff.html", context, "results")


def mark_handled(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    replies = InboundMessage.objects.restrict(request.user, "change")
    reply = visible_or_404(request, replies, pk, read=False)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    form = HandledForm(request.POST)
    if form.is_valid():
        try:
            do_mark_handled(
                reply, acting_user=request.user, note=form.cleaned_data["note"], request=request
            )
            messages.success(request, _("Reply marked as handled."))
        except OutreachError as error:
            messages.error(request, str(error))
    return redirect("outreach:needs_staff")
