"""Supervision: workload, overdue and waiting items, bulk reassign, handovers.

Only for users holding ``workqueues.assign``; everyone else gets 404, as for
any page that is not theirs. Items and jurisdictions outside the
supervisor's subtree are not found (404), checked again by the services
inside their transactions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from epitrace.accounts.models import Team, User
from epitrace.accounts.roles import Role, role_grants
from epitrace.accounts.scope import has_capability
from epitrace.queues.choices import ACTIVE_STATES
from epitrace.queues.errors import QueueError
from epitrace.queues.forms import HandoverForm, ItemFilter, ReassignForm, TargetKind
from epitrace.queues.models import WorkItem
from epitrace.queues.supervision import (
    ASSIGN_CAPABILITY,
    NotFound,
    Target,
    assign_scope,
    do_hand_back,
    do_hand_over,
    do_reassign,
    supervised_items,
    supervised_jurisdictions,
)
from epitrace.queues.workers import WORK_CAPABILITY
from epitrace.queues.workload import overdue_items, queue_rows, team_rows, tracer_rows
from epitrace.web.access import method_not_allowed
from epitrace.web.views.common import HtmxHttpRequest, paginate

OVERDUE_SHOWN = 20
WORK_ROLES = [role for role in Role.values if role_grants(role, WORK_CAPABILITY)]


def _supervisor(request: HtmxHttpRequest) -> Any:
    if not has_capability(request.user, ASSIGN_CAPABILITY):
        raise Http404
    return request.user


@require_safe
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    user = _supervisor(request)
    now = timezone.now()
    items = supervised_items(user)
    scope = assign_scope(user)
    context = {
        "queues": queue_rows(items, now),
        "tracers": tracer_rows(items, scope, now),
        "teams": team_rows(items, scope, now),
        "overdue": overdue_items(items, now)[:OVERDUE_SHOWN],
        "overdue_count": items.filter(state__in=list(ACTIVE_STATES), due_at__lt=now).count(),
        "handover_form": HandoverForm(),
    }
    return render(request, "queues/supervise.html", context)


@require_safe
def item_list(request: HtmxHttpRequest) -> HttpResponse:
    user = _supervisor(request)
    now = timezone.now()
    filters = ItemFilter(request.GET or None, queues=supervised_jurisdictions(user))
    items = _filtered(supervised_items(user), filters, now)
    page = paginate(request, items)
    context = {
        "filters": filters,
        "page": page,
        "form": ReassignForm(tracers=_tracers(user), teams=_teams(user)),
        "now": now,
    }
    return render(request, "queues/supervise_items.html", context)


def reassign(request: HtmxHttpRequest) -> HttpResponse:
    user = _supervisor(request)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    form = ReassignForm(request.POST, tracers=_tracers(user), teams=_teams(user))
    back = request.POST.get("back", "")
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, " ".join(errors))
        return _back(back)
    data = form.cleaned_data
    target = Target(
        tracer=data["tracer"] if data["target"] == TargetKind.TRACER else None,
        team=data["team"] if data["target"] == TargetKind.TEAM else None,
    )
    try:
        moved = do_reassign(
            data["items"], target, acting_user=user, reason=data["reason"], request=request
        )
    except NotFound:
        raise Http404 from None
    except QueueError as exc:
        messages.error(request, str(exc))
        return _back(back)
    messages.success(
        request,
        ngettext("%(n)d item reassigned.", "%(n)d items reassigned.", moved) % {"n": moved},
    )
    return _back(back)


def hand_over(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = _supervisor(request)
    if not supervised_jurisdictions(user).filter(pk=pk).exists():
        raise Http404
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    form = HandoverForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the handover."))
        return redirect("queues:supervise")
    try:
        do_hand_over(pk, acting_user=user, reason=form.cleaned_data["reason"], request=request)
    except NotFound:
        raise Http404 from None
    except QueueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The queue is handed over to the state's tracers."))
    return redirect("queues:supervise")


def hand_back(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = _supervisor(request)
    if not supervised_jurisdictions(user).filter(pk=pk).exists():
        raise Http404
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    try:
        do_hand_back(pk, acting_user=user, request=request)
    except NotFound:
        raise Http404 from None
    except QueueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The queue is back with its health department."))
    return redirect("queues:supervise")


def _filtered(items: QuerySet[WorkItem], filters: ItemFilter, now: Any) -> QuerySet[WorkItem]:
    items = items.filter(state__in=list(ACTIVE_STATES))
    if filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        if data["queue"] is not None:
            items = items.filter(queue=data["queue"])
        for name in ("state", "kind", "language"):
            if data[name]:
                items = items.filter(**{name: data[name]})
        if data["overdue"]:
            items = items.filter(due_at__lt=now)
    return items.select_related(
        "case__person", "exposure__contact", "claimed_by", "assignee", "team", "queue"
    ).order_by("-priority", "id")


def _tracers(user: Any) -> QuerySet[User]:
    """Who may receive items: active users working a queue in the supervisor's subtree."""
    scope = assign_scope(user)
    members = Q(memberships__role__in=WORK_ROLES)
    if scope is not None:
        members &= Q(memberships__jurisdiction_id__in=scope)
    return (
        User.objects.filter(members, is_active=True, is_system=False)
        .distinct()
        .order_by("username")
    )


def _teams(user: Any) -> QuerySet[Team]:
    scope = assign_scope(user)
    teams = Team.objects.select_related("jurisdiction").order_by("jurisdiction__path", "name")
    return teams if scope is None else teams.filter(jurisdiction_id__in=scope)


def _back(url: str) -> HttpResponse:
    """Back to the list the form came from (only our own pages)."""
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    if safe and url.startswith(reverse("queues:supervise_items")):
        return redirect(url)
    return redirect("queues:supervise_items")
