"""Queue pieces other pages include: the menu entries, and a record's work panel.

``{% queue_nav %}`` renders the sidebar entries (My queue, Queue supervision)
for users who have them. ``{% work_panel case=case %}`` (or
``person=person``) shows the record's work items on the case or person page,
with the outcome and release buttons on the one the user holds and a
heartbeat that keeps the claim alive while the page is open.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import QuerySet

from epitrace.accounts.scope import has_capability
from epitrace.queues.choices import ACTIVE_STATES, State
from epitrace.queues.forms import CompleteForm
from epitrace.queues.models import WorkItem
from epitrace.queues.supervision import ASSIGN_CAPABILITY
from epitrace.queues.workers import worker_for

register = template.Library()


@register.inclusion_tag("queues/includes/nav.html", takes_context=True)
def queue_nav(context: template.Context) -> dict[str, Any]:
    """The menu entries, once per page (the layout and a queue page may both ask)."""
    request = context["request"]
    user = request.user
    if getattr(request, "_epitrace_queue_nav", False):
        return {"request": request}
    request._epitrace_queue_nav = True
    return {
        "request": request,
        "shows_queue": worker_for(user).works,
        "shows_supervision": has_capability(user, ASSIGN_CAPABILITY),
    }


def _about_person(person: Any) -> QuerySet[WorkItem]:
    """The ids of the items about ``person``, as a contact or as a case.

    A union of two indexed lookups (the person's exposures, their cases): an
    OR across both joins made PostgreSQL walk every active item of the
    jurisdiction (20 ms at a million cases) instead of the person's one or two.
    """
    as_contact = WorkItem.objects.filter(exposure__contact=person).order_by().values("pk")
    as_case = WorkItem.objects.filter(case__person=person).order_by().values("pk")
    return as_contact.union(as_case, all=True)


@register.inclusion_tag("queues/includes/work_panel.html", takes_context=True)
def work_panel(context: template.Context, case: Any = None, person: Any = None) -> dict[str, Any]:
    """The active items about ``case`` (or about ``person`` as a contact) the user may see."""
    request = context["request"]
    user = request.user
    items = WorkItem.objects.restrict(user, "view").filter(state__in=list(ACTIVE_STATES))
    if case is not None:
        items = items.filter(case=case)
    elif person is not None:
        items = items.filter(pk__in=_about_person(person))
    else:
        items = items.none()
    shown = list(items.select_related("claimed_by").order_by("-priority", "id")[:10])
    for item in shown:
        item.held = item.state == State.CLAIMED and item.claimed_by_id == user.pk
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "panel_items": shown,
        "complete_form": CompleteForm(),
    }
