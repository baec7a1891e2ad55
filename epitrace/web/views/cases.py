"""Case list and case page."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from epitrace.audit.services import record_search
from epitrace.cases.models import Case
from epitrace.core.querysets import found_in_reach
from epitrace.core.statements import Restricted, reading_ahead
from epitrace.labs.models import LabResult
from epitrace.people.models import Person
from epitrace.queues.templatetags.queues import work_panel_read
from epitrace.web.access import method_not_allowed, visible_or_404
from epitrace.web.filters import CaseFilter
from epitrace.web.views.common import (
    HtmxHttpRequest,
    contact_points_of,
    paginate,
    render_with_partial,
    search_data,
)

# What a row of the list shows, fetched in the same query as the row.
CASE_ROW_RELATED = ("person", "disease", "jurisdiction")


@require_http_methods(["GET", "POST"])
def case_list(request: HtmxHttpRequest) -> HttpResponse:
    cases = Case.objects.restrict(request.user, "view").select_related(*CASE_ROW_RELATED)
    data = search_data(request, ("q",))
    filterset = CaseFilter(data, queryset=cases, request=request)
    page = paginate(request, filterset.qs.order_by("-report_date", "-id"), data)
    if data.get("q") and page.number == 1:
        record_search(
            request.user,
            Case,
            {"q": data.get("q")},
            result_count=page.paginator.count,
            request=request,
        )
    context = {"filter": filterset, "page": page}
    return render_with_partial(request, "web/case_list.html", context, "results")


# The reads of every case page, compiled once per number of jurisdictions (core/statements.py).
_CASE = Restricted(
    Case,
    lambda cases, pk: cases.select_related(
        "person__jurisdiction", "disease", "profile", "jurisdiction"
    ).filter(pk=pk),
)
_LABS = Restricted(LabResult, lambda labs, case: labs.filter(case=case).select_related("disease"))
_PERSON_AND_GUARDIAN = Restricted(
    Person, lambda people, pk, guardian: people.filter(pk__in=[pk, guardian])
)


def case_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The case page's first paint: who, how to reach them, the work item, the record.

    The interview, the contacts, and where the person was a contact before
    (the sheet's many fields, the transmission chain) are fetched by the page
    as it loads, from ``interviews:panels``: the tracer who pressed Next sees
    the case at once and is dialling while they arrive.
    """
    user = request.user
    case = visible_or_404(request, _CASE, pk)
    if refused := method_not_allowed(request, ["GET"]):
        return refused
    person = case.person
    # The page's reads sent together: those that need the person in reach
    # (its contact points) once the first has said whether it is.
    with reading_ahead(
        _PERSON_AND_GUARDIAN.ahead(user, *_person_and_guardian_ids(person)),
        _LABS.ahead(user, case.pk),
        work_panel_read(user, case=case),
    ):
        person_visible, guardian = _person_and_guardian(user, person)
        return _case_page(request, case, person_visible, guardian)


def _case_page(
    request: HtmxHttpRequest, case: Case, person_visible: bool, guardian: Person | None
) -> HttpResponse:
    user, person = request.user, case.person
    contact_points, opted_out = contact_points_of(user, person)
    context = {
        "case": case,
        "person": person,
        # A case may outlive its person's move to another jurisdiction: the
        # case stays ours, the person's page and contact points may not.
        "person_visible": person_visible,
        "contact_points": contact_points,
        "opted_out": opted_out,
        "guardian": guardian,
        "labs": _LABS.fetch(user, case.pk),
    }
    return render(request, "web/case_detail.html", context)


def _person_and_guardian_ids(person: Person) -> tuple[int, int]:
    # Without a guardian, the person twice: the statement takes two values.
    return person.pk, person.pk if person.guardian_id is None else person.guardian_id


def _person_and_guardian(user: Any, person: Person) -> tuple[bool, Person | None]:
    """Whether the person's own page is within reach, and their visible guardian: one query."""
    found = {p.pk: p for p in _PERSON_AND_GUARDIAN.fetch(user, *_person_and_guardian_ids(person))}
    for pk in found:
        found_in_reach(user, pk)
    guardian = found.get(person.guardian_id) if person.guardian_id is not None else None
    return person.pk in found, guardian
