"""The tracer's queue: Next, the items they hold, and what each ended with.

Thin views over the services. An item is looked up in the user's restricted
queryset before the method is judged, so another jurisdiction's item and a
missing one both answer 404, whatever the method (test_crawl).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from epitrace.core.statements import Restricted
from epitrace.queues import services
from epitrace.queues.choices import ACTIVE_STATES, State
from epitrace.queues.claims import candidates
from epitrace.queues.errors import NotVisible, QueueError
from epitrace.queues.forms import CompleteForm
from epitrace.queues.models import WorkItem
from epitrace.queues.workers import worker_for
from epitrace.queues.workload import start_of_today
from epitrace.web.access import denied, method_not_allowed, visible_or_404
from epitrace.web.views.common import HtmxHttpRequest

UPCOMING = 5
ITEM_RELATED = ("case__person", "exposure__contact", "exposure__case", "queue", "team")


def work_url(item: WorkItem) -> str:
    """Where the work happens: the case page, or the contact's page; the item's panel anchored."""
    if item.case_id is not None:
        url = reverse("case_detail", args=[item.case_id])
    else:
        assert item.exposure is not None
        url = reverse("person_detail", args=[item.exposure.contact_id])
    return f"{url}#work-item-{item.pk}"


@require_safe
def my_queue(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    worker = worker_for(user)
    if not worker.works:
        raise Http404
    now = timezone.now()
    visible = WorkItem.objects.restrict(user, "view")
    assigned, pool = candidates(worker, now)
    upcoming = list(assigned.select_related(*ITEM_RELATED)[:UPCOMING])
    upcoming += list(pool.select_related(*ITEM_RELATED)[: UPCOMING - len(upcoming)])
    mine = visible.filter(queue_id__in=worker.queues, state__in=list(ACTIVE_STATES))
    context = {
        "held": visible.filter(state=State.CLAIMED, claimed_by=user)
        .select_related(*ITEM_RELATED)
        .order_by("claimed_at"),
        "upcoming": upcoming,
        "counts": {
            "for_you": assigned.count() + pool.count(),
            "waiting": mine.filter(state=State.OPEN).count(),
            "overdue": mine.filter(due_at__lt=now).count(),
            "done_today": visible.filter(
                state=State.DONE, completed_by=user, completed_at__gte=start_of_today(now)
            ).count(),
        },
        "complete_form": CompleteForm(),
        "languages": worker.languages,
    }
    return render(request, "queues/my_queue.html", context)


@require_POST
def take_next(request: HtmxHttpRequest) -> HttpResponse:
    try:
        item = services.next_item(request.user, request=request)
    except QueueError as exc:
        messages.error(request, exc.message)
        return redirect("queues:mine")
    if item is None:
        messages.info(request, _("Nothing is waiting for you right now. Try again in a while."))
        return redirect("queues:mine")
    return redirect(work_url(item))


def item_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    items = WorkItem.objects.restrict(request.user, "view").select_related(
        *ITEM_RELATED, "claimed_by", "completed_by", "assignee", "jurisdiction"
    )
    item = visible_or_404(request, items, pk)
    if refused := method_not_allowed(request, ["GET"]):
        return refused
    context = {
        "item": item,
        "claims": item.claims.select_related("user").order_by("claimed_at", "id"),
        "held": item.state == State.CLAIMED and item.claimed_by_id == request.user.pk,
        "complete_form": CompleteForm(),
        "work_url": work_url(item),
    }
    return render(request, "queues/item_detail.html", context)


def complete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if refused := _refused(request, pk):
        return refused
    form = CompleteForm(request.POST)
    if not form.is_valid():
        _workable(request, pk)  # a 404 for an item they may not change, as for any method
        messages.error(request, _("Choose an outcome."))
        return redirect("queues:item", pk=pk)
    try:
        done = services.complete_item(
            pk,
            request.user,
            form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except NotVisible:
        raise denied(request, WorkItem, pk) from None
    except QueueError as exc:
        messages.error(request, exc.message)
        return redirect("queues:mine")
    if done.state == State.OPEN:
        messages.success(request, _("Attempt recorded: the item comes back later."))
    else:
        messages.success(request, _("Done: %(outcome)s.") % {"outcome": done.get_outcome_display()})
    if request.POST.get("then") == "next":
        return take_next(request)
    return redirect("queues:mine")


def release(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if refused := _refused(request, pk):
        return refused
    try:
        services.release_item(pk, request.user, request=request)
    except NotVisible:
        raise denied(request, WorkItem, pk) from None
    except QueueError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Released: the item is back in the queue."))
    return redirect("queues:mine")


def keep(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The open page's heartbeat: the tracer is still on it (no content, 204)."""
    if refused := _refused(request, pk):
        return refused
    try:
        services.keep_item(pk, request.user)
    except NotVisible:
        raise denied(request, WorkItem, pk) from None
    except QueueError:
        return HttpResponse(status=409)
    return HttpResponse(status=204)


# A method other than POST looks the item up first: compiled once per number of jurisdictions.
_WORKABLE = Restricted(WorkItem, lambda items, pk: items.filter(pk=pk), "change")


def _workable(request: HtmxHttpRequest, pk: int) -> WorkItem:
    return visible_or_404(request, _WORKABLE, pk, read=False)


def _refused(request: HtmxHttpRequest, pk: int) -> HttpResponse | None:
    """405 for a method other than POST, after the item was looked up (404 first).

    A POST's item is looked up by the service as it locks it: one read,
    among the items the user may change (NotVisible otherwise).
    """
    refused = method_not_allowed(request, ["POST"])
    if refused is not None:
        _workable(request, pk)
    return refused
