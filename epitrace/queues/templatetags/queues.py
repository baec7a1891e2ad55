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
from epitrace.core.statements import Ahead, Restricted
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


def _shown(items: QuerySet[WorkItem]) -> QuerySet[WorkItem]:
    """The active ones, most urgent first (a page shows ten at most)."""
    active = items.filter(state__in=list(ACTIVE_STATES)).select_related("claimed_by")
    return active.order_by("-priority", "id")[:10]


# On every case and person page: compiled once per number of jurisdictions (core/statements.py).
_ABOUT_CASE = Restricted(WorkItem, lambda items, case: _shown(items.filter(case=case)))
_ABOUT_PERSON = Restricted(
    WorkItem, lambda items, person: _shown(items.filter(pk__in=_about_person(person)))
)


def work_panel_read(user: Any, case: Any = None, person: Any = None) -> Ahead | None:
    """``work_panel``'s read, for a page to send with its others (``reading_ahead``)."""
    if case is not None:
        return _ABOUT_CASE.ahead(user, case.pk)
    return _ABOUT_PERSON.ahead(user, person.pk) if person is not None else None


@register.inclusion_tag("queues/includes/work_panel.html", takes_context=True)
def work_panel(context: template.Context, case: Any = None, person: Any = None) -> dict[str, Any]:
    """The active items about ``case`` (or about ``person`` as a contact) the user may see."""
    request = context["request"]
    user = request.user
    shown: list[Any]  # each marked whether the user holds it
    item: Any
    if case is not None:
        shown = _ABOUT_CASE.fetch(user, case.pk)
    elif person is not None:
        shown = _ABOUT_PERSON.fetch(user, person.pk)
    else:
        shown = []
    for item in shown:
        item.held = item.state == State.CLAIMED and item.claimed_by_id == user.pk
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "panel_items": shown,
        "complete_form": CompleteForm(),
    }
