"""Person search and person page."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from epitrace.audit.services import record_search
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.labs.models import LabResult
from epitrace.monitoring.services import do_set_contact_window
from epitrace.outreach.templatetags.outreach import opted_out_addresses
from epitrace.people.choices import ContactKind
from epitrace.people.merge.views import merge_history_context
from epitrace.people.models import ContactPoint, ContactWindow, Person, PersonIdentifier
from epitrace.web.access import method_not_allowed, visible_or_404
from epitrace.web.forms import ContactWindowForm, PersonSearchForm
from epitrace.web.search import name_q
from epitrace.web.views.common import (
    HtmxHttpRequest,
    exposure_rows,
    paginate,
    render_with_partial,
    search_data,
)
from epitrace.web.views.sharing import sharing_context


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


def person_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    people = Person.objects.restrict(user, "view")
    person = visible_or_404(request, people.select_related("jurisdiction", "town"), pk)
    if refused := method_not_allowed(request, ["GET"]):
        return refused
    cases = list(
        Case.objects.restrict(user, "view")
        .filter(person=person)
        .select_related("disease", "jurisdiction")
    )
    cases_by_id = {case.pk: case for case in cases}
    labs = list(
        LabResult.objects.restrict(user, "view").filter(person=person).select_related("disease")
    )
    for lab in labs:
        # Link a result to its case only when that case is one the user sees.
        lab.visible_case = cases_by_id.get(lab.case_id) if lab.case_id else None
    exposures = Exposure.objects.restrict(user, "view").filter(contact=person)
    context = {
        "person": person,
        "contact_points": ContactPoint.objects.restrict(user, "view").filter(person=person),
        "identifiers": PersonIdentifier.objects.restrict(user, "view").filter(person=person),
        # Guardian and wards may live in another jurisdiction: only those in reach.
        "guardian": people.filter(pk=person.guardian_id).first() if person.guardian_id else None,
        "wards": people.filter(guardian=person),
        "cases": cases,
        "labs": labs,
        "as_contact": exposure_rows(user, exposures, link="case_id"),
        # Staff who may change the record may change when it is messaged.
        "window_form": ContactWindowForm(initial={"contact_window": person.contact_window})
        if Person.objects.restrict(user, "change").filter(pk=person.pk).exists()
        else None,
        **sharing_context(request, person),
        **merge_history_context(request, person),
    }
    return render(request, "web/person_detail.html", context)


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
