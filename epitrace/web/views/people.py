"""Person search and person page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from epitrace.accounts.scope import has_capability, visible_jurisdiction_ids
from epitrace.audit.services import record_denied, record_read, record_search
from epitrace.contacts.models import Exposure
from epitrace.core.querysets import found_in_reach
from epitrace.core.statements import PersonRows, Restricted, reading_ahead
from epitrace.interviews.rendering import FAST_RENDERER
from epitrace.labs.models import LabResult
from epitrace.monitoring.services import do_set_contact_window
from epitrace.outreach.templatetags.outreach import opted_out_addresses, outreach_reads
from epitrace.people.choices import ContactKind
from epitrace.people.merge.access import MERGE_CAPABILITY
from epitrace.people.merge.views import merge_history_context
from epitrace.people.models import ContactPoint, ContactWindow, Person, PersonIdentifier
from epitrace.queues.templatetags.queues import work_panel_read
from epitrace.web.access import method_not_allowed, visible_or_404
from epitrace.web.forms import ContactWindowForm, PersonSearchForm
from epitrace.web.search import name_q
from epitrace.web.views.common import (
    ExposureRow,
    HtmxHttpRequest,
    cases_and_linked,
    contact_points_of,
    contact_points_read,
    paginate,
    render_with_partial,
    search_data,
)
from epitrace.web.views.sharing import sharing_context, sharing_reads


@require_http_methods(["GET", "POST"])
def person_search(request: HtmxHttpRequest) -> HttpResponse:
    data = search_data(request, ("q", "born", "phone"))
    form = PersonSearchForm(data or None)
    page = None
    if form.is_valid() and form.has_criteria():
        page = paginate(request, _search(request, form.cleaned_data), data)
        if page.number == 1:  # the search itself, not each page turned
            record_search(
                request.user,
                Person,
                form.cleaned_data,
                result_count=page.paginator.count,
                request=request,
            )
    shown = [point for person in page.object_list for point in person.phones] if page else []
    # Numbers that replied STOP are marked where staff see them (one query per page).
    context = {"form": form, "page": page, "opted_out": opted_out_addresses(shown)}
    return render_with_partial(request, "web/person_search.html", context, "results")


def _search(request: HtmxHttpRequest, criteria: dict[str, object]) -> QuerySet[Person]:
    user = request.user
    phones = ContactPoint.objects.restrict(user, "view").filter(kind=ContactKind.PHONE)
    people = Person.objects.restrict(user, "view")
    if criteria.get("q"):
        people = people.filter(name_q(str(criteria["q"])))
    if criteria.get("born"):
        people = people.filter(birth_date=criteria["born"])
    if criteria.get("phone"):
        people = people.filter(pk__in=phones.filter(value=criteria["phone"]).values("person_id"))
    return people.select_related("jurisdiction").prefetch_related(
        Prefetch("contact_points", queryset=phones, to_attr="phones")
    )


# The reads of every person page, compiled once per number of jurisdictions (core/statements.py).
_PERSON = Restricted(
    Person, lambda people, pk: people.select_related("jurisdiction", "town").filter(pk=pk)
)
_PERSON_AND_WARDS = Restricted(
    Person,
    lambda people, pk: people.filter(Q(pk=pk) | Q(guardian_id=pk)).select_related("jurisdiction"),
)
_AS_CONTACT = Restricted(Exposure, lambda exposures, pk: exposures.filter(contact=pk))
_LABS = Restricted(LabResult, lambda labs, pk: labs.filter(person=pk).select_related("disease"))


def person_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The person page's first paint: who they are, how to reach them, the work item.

    Their records (cases, labs, exposures, messages, letters, sharing and
    merges) are fetched by the page as it loads, from ``person_panels``: the
    tracer whose Next opened a contact's page is dialling while they arrive.
    """
    user = request.user
    person = visible_or_404(request, _PERSON, pk)
    if refused := method_not_allowed(request, ["GET"]):
        return refused
    found_in_reach(user, person.pk)
    with reading_ahead(contact_points_read(user, person), work_panel_read(user, person=person)):
        contact_points, opted_out = contact_points_of(user, person)
        context = {
            "person": person,
            "contact_points": contact_points,
            "opted_out": opted_out,
            # Staff who may change the record may change when it is messaged.
            "window_form": ContactWindowForm(
                initial={"contact_window": person.contact_window}, renderer=FAST_RENDERER
            )
            if _may_change(user, person)
            else None,
        }
        return render(request, "web/person_detail.html", context)


def _may_change(user: Any, person: Person) -> bool:
    """Whether to offer the record's changes (person_contact_window checks again).

    A person living where the user may change persons is changeable, without
    a query: the usual case, a tracer on their own LHD's contact. Anyone else
    (an eliciting LHD, a share) is asked of the restricted queryset.
    """
    ids = visible_jurisdiction_ids(user, "people.change_person")
    if ids is None or person.jurisdiction_id in ids:
        return True
    return Person.objects.restrict(user, "change").filter(pk=person.pk).exists()


_IDENTIFIERS = PersonRows(PersonIdentifier)


def person_panels(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The person's records, fetched by the person page as it loads.

    Looked up for view like the page (another jurisdiction's person answers
    404 like a missing one), and audited as a read of the person of its own:
    the page's first paint is one read, these records another.
    """
    user = request.user
    person, wards = _person_and_wards(request, pk)
    if refused := method_not_allowed(request, ["GET"]):
        return refused
    record_read(user, person, request=request, reason="records")
    # The panels' reads that need nothing but the person, sent together.
    with reading_ahead(
        _AS_CONTACT.ahead(user, person.pk),
        _LABS.ahead(user, person.pk),
        _IDENTIFIERS.ahead(user, person.pk),
        _PERSON.ahead(user, person.guardian_id) if person.guardian_id else None,
        *sharing_reads(person),
        *outreach_reads(user, person.pk),
    ):
        return _person_panels(request, person, wards)


def _person_panels(request: HtmxHttpRequest, person: Person, wards: list[Person]) -> HttpResponse:
    user = request.user
    exposures = _AS_CONTACT.fetch(user, person.pk)
    cases, sources = cases_and_linked(user, person, (e.case_id for e in exposures))
    labs: list[Any] = _LABS.fetch(user, person.pk)  # each given its visible case
    for lab in labs:
        # Link a result to its case only when that case is one the user sees.
        lab.visible_case = cases.get(lab.case_id) if lab.case_id else None
    context = {
        "person": person,
        "identifiers": _IDENTIFIERS.of_person(user, person.pk),
        # The guardian may live in another jurisdiction: shown only when in reach.
        "guardian": next(iter(_PERSON.fetch(user, person.guardian_id)), None)
        if person.guardian_id
        else None,
        "wards": wards,
        "cases": list(cases.values()),
        "labs": labs,
        "as_contact": [ExposureRow(e, sources.get(e.case_id)) for e in exposures],
        **sharing_context(request, person),
        # Merges are shown to those who may undo them; the others would only
        # build a query that cannot return a row.
        **(
            merge_history_context(request, person)
            if has_capability(user, MERGE_CAPABILITY)
            else {"merges": []}
        ),
    }
    return render(request, "web/includes/person_panels.html", context)


def _person_and_wards(request: HtmxHttpRequest, pk: int) -> tuple[Person, list[Person]]:
    """The person, or 404 like ``visible_or_404``; and their wards in reach: one query."""
    user = request.user
    found = _PERSON_AND_WARDS.fetch(user, pk)
    person = next((p for p in found if p.pk == pk), None)
    if person is None:
        record_denied(user, Person, pk, request=request)
        raise Http404
    found_in_reach(user, pk)
    return person, [p for p in found if p.pk != pk]


def person_contact_window(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Set the part of the day the person's automatic messages go out in."""
    people = Person.objects.restrict(request.user, "change")
    person = visible_or_404(request, people, pk, read=False)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    form = ContactWindowForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the listed times."))
        return redirect("person_detail", pk=person.pk)
    window = form.cleaned_data["contact_window"]
    do_set_contact_window(person, window, acting_user=request.user, request=request)
    messages.success(
        request,
        _("Messages now go out: %(window)s.") % {"window": ContactWindow(window).label},
    )
    return redirect("person_detail", pk=person.pk)
