"""The interview's endpoints on the case page: the panels, autosave, calls, completion, contacts.

Thin views over services.py and contacts.py. Every route names a case; the
case is looked up in the user's restricted queryset (for change) before the
method is judged, so another jurisdiction's case and a missing one both
answer 404, whatever the method. Personal values travel in POST bodies only.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from epitrace.audit.services import record_read
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.core.statements import Restricted
from epitrace.interviews import contacts, panels, services
from epitrace.interviews.casedates import infectious_period_of
from epitrace.interviews.drafts import DraftError
from epitrace.interviews.forms import CallAttemptForm, ContactEditForm, ContactEntryForm
from epitrace.interviews.models import Interview
from epitrace.interviews.sheet import InterviewSheet
from epitrace.web.access import method_not_allowed, visible_or_404
from epitrace.web.views.common import HtmxHttpRequest

CASE_RELATED = ("person", "profile", "disease", "jurisdiction")


def _case(request: HtmxHttpRequest, pk: int) -> Case:
    cases = Case.objects.restrict(request.user, "change").select_related(*CASE_RELATED)
    return visible_or_404(request, cases, pk, read=False)


def _exposure(request: HtmxHttpRequest, case: Case, pk: int, *, read: bool) -> Exposure:
    exposures = (
        Exposure.objects.restrict(request.user, "change")
        .filter(case=case)
        .select_related("contact", "case")
    )
    return visible_or_404(request, exposures, pk, read=read)


def _case_page(case: Case, anchor: str) -> HttpResponse:
    return redirect(reverse("case_detail", args=[case.pk]) + anchor)


# --- The panels -------------------------------------------------------------------------


# Read on every case page: compiled once per number of jurisdictions (core/statements.py).
_CASE = Restricted(Case, lambda cases, pk: cases.select_related(*CASE_RELATED).filter(pk=pk))


def case_panels(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The interview and the contacts of the case page, fetched by the page as it loads.

    The page's first paint shows who the case is and how to reach them; the
    sheet and the contacts (the costly part) follow in this one request.
    Looked up for view like the page (a read-only role sees the interview),
    and audited as a read of the case of its own.
    """
    case = visible_or_404(request, _CASE, pk, read=False)
    if refused := method_not_allowed(request, ["GET"]):
        return refused
    record_read(request.user, case, request=request, reason="interview")
    return render(request, "web/includes/interview_panels.html", panels.case_panels(request, case))


# --- The draft ----------------------------------------------------------------------------


def autosave(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Save what the tracer typed: JSON in, JSON out (see drafts.py for the rules)."""
    case = _case(request, pk)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    try:
        body = json.loads(request.body or b"null")
        result = services.do_autosave(case, body, acting_user=request.user, request=request)
    except (ValueError, DraftError) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(
        {
            "version": result.version,
            "saved": result.saved,
            "stale": result.stale,
            "errors": result.errors,
            "case": case_dates(case),
        }
    )


def case_dates(case: Case) -> dict[str, Any]:
    """The case's dates as the page shows them after a save."""
    period = infectious_period_of(case)

    def iso(day: Any) -> str:
        return day.isoformat() if day else ""

    return {
        "onset_date": iso(case.onset_date),
        "asymptomatic": case.asymptomatic,
        "isolation_start": iso(case.isolation_start),
        "isolation_end": iso(case.isolation_end),
        "infectious_start": iso(period.start if period else None),
        "infectious_end": iso(period.end if period else None),
    }


def complete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Validate the whole draft; complete the interview, or show which fields are wrong."""
    case = _case(request, pk)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    sheet = InterviewSheet.build(case, panels.interview_of(case), bound=True)
    if not sheet.is_valid():
        if not request.htmx:
            problems = "; ".join(f"{p.label}: {p.message}" for p in sheet.problems())
            messages.error(request, _("The interview is not complete yet: %s") % problems)
            return _case_page(case, "#interview")
        context = {"case": case, "sheet": sheet, "editable": True}
        return render(request, "interviews/includes/sheet.html", context)
    try:
        done = services.do_complete_interview(
            case, sheet.cleaned_answers(), acting_user=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        for text in done.messages:
            messages.success(request, text)
        for text in done.warnings:
            messages.warning(request, text)
    if request.htmx:
        # The header, dates and work items all changed: the whole page again.
        return HttpResponse(headers={"HX-Refresh": "true"})
    return _case_page(case, "#interview")


# --- Call attempts ------------------------------------------------------------------------


def attempt(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    form = CallAttemptForm(request.POST)
    if not form.is_valid():
        return _attempts(request, case, error=_("Choose what came of the call."))
    result = services.do_log_attempt(
        case,
        form.cleaned_data["outcome"],
        note=form.cleaned_data["note"],
        acting_user=request.user,
        request=request,
    )
    if not request.htmx:
        messages.success(request, result.message)
        if result.warning:
            messages.warning(request, result.warning)
        return _case_page(case, "#call-attempts")
    return _attempts(request, case, message=result.message, warning=result.warning)


def _attempts(
    request: HtmxHttpRequest,
    case: Case,
    *,
    message: str = "",
    warning: str = "",
    error: str = "",
) -> HttpResponse:
    context = {
        "case": case,
        "attempts": panels.attempts_of(case),
        "outcomes": panels.outcome_buttons(),
        "editable": True,
        "message": message,
        "warning": warning,
        "error": error,
        "oob": True,
    }
    return render(request, "interviews/attempts_response.html", context)


# --- Contacts -----------------------------------------------------------------------------


def contact_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The quick entry row: a contact, or the "possibly the same person" question."""
    case = _case(request, pk)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    period = infectious_period_of(case)
    form = ContactEntryForm(request.POST, period=period)
    if not form.is_valid():
        return _entry(request, case, form)
    entry = form.cleaned_data
    try:
        elicited = _elicit(request, case, panels.interview_of(case), entry)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return _entry(request, case, form)
    if elicited.exposure is None:
        return _entry(request, case, form, candidates=elicited.candidates)
    fresh = panels.entry_form(case, period, previous=entry)
    row = entry.get("household_row") or ""
    return _entry(request, case, fresh, message=_added(elicited), table=True, household_row=row)


def _elicit(
    request: HtmxHttpRequest, case: Case, interview: Interview | None, entry: dict[str, Any]
) -> contacts.Elicited:
    row_key = entry.get("household_row") or ""
    guardian = None
    if row_key and interview is not None:
        row = contacts.household_row(interview, row_key)
        guardian = contacts.guardian_for_row(case, interview, row, request.user, request, 0)
    elicited = contacts.do_add_contact(
        case, entry, acting_user=request.user, request=request, guardian=guardian
    )
    if elicited.exposure is not None and row_key and interview is not None:
        contacts.link_household_row(interview, row_key, elicited.exposure, acting_user=request.user)
    return elicited


def _added(elicited: contacts.Elicited) -> str:
    exposure = elicited.exposure
    assert exposure is not None
    if elicited.hidden:
        return _("Linked to a person already known to public health; their follow-up is queued.")
    name = exposure.contact.full_name
    if elicited.reused:
        return _("%(name)s was already known: linked, and their follow-up is queued.") % {
            "name": name
        }
    return _("%(name)s added; their follow-up is queued.") % {"name": name}


def household_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One click: a household member of the interview becomes a contact."""
    case = _case(request, pk)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    interview = panels.interview_of(case)
    period = infectious_period_of(case)
    row_key = request.POST.get("row", "")
    try:
        if interview is None:
            raise ValidationError(_("The household is not saved yet: try again in a moment."))
        exposure = contacts.do_add_household_contact(
            case, interview, row_key, acting_user=request.user, request=request
        )
    except contacts.NeedsEntry as need:
        form = ContactEntryForm(initial=need.entry, period=period)
        return _entry(request, case, form, warning=need.reason)
    except ValidationError as exc:
        form = panels.entry_form(case, period)
        return _entry(request, case, form, error=" ".join(exc.messages))
    message = _("%(name)s added as a household contact.") % {"name": exposure.contact.full_name}
    form = panels.entry_form(case, period)
    return _entry(request, case, form, message=message, table=True, household_row=row_key)


def _entry(
    request: HtmxHttpRequest,
    case: Case,
    form: ContactEntryForm,
    *,
    candidates: list[contacts.Candidate] | None = None,
    message: str = "",
    warning: str = "",
    error: str = "",
    table: bool = False,
    household_row: str = "",
) -> HttpResponse:
    """The entry row again (its answer), and the contacts table when it changed."""
    if not request.htmx:
        for text, level in ((message, messages.SUCCESS), (warning, messages.WARNING)):
            if text:
                messages.add_message(request, level, text)
        if error or form.errors:
            messages.error(request, error or _("The contact was not added: check the entry."))
        return _case_page(case, "#contacts")
    context = {
        "case": case,
        "entry_form": form,
        "candidates": candidates or [],
        "message": message,
        "warning": warning,
        "error": error,
        "editable": True,
        "table": table,
        "elicited": panels.elicited_rows(request, case) if table else [],
        "household_row": household_row,
    }
    return render(request, "interviews/entry_response.html", context)


def contact_edit(request: HtmxHttpRequest, pk: int, exposure_pk: int) -> HttpResponse:
    """GET: the contact's row as a form; POST: save it (the table comes back)."""
    case = _case(request, pk)
    exposure = _exposure(request, case, exposure_pk, read=request.method == "GET")
    if refused := method_not_allowed(request, ["GET", "POST"]):
        return refused
    period = infectious_period_of(case)
    if request.method != "POST":
        form = ContactEditForm(instance=exposure, period=period)
        return render(
            request,
            "interviews/includes/contact_edit_row.html",
            {"form": form, "exposure": exposure, "case": case},
        )
    form = ContactEditForm(request.POST, instance=exposure, period=period)
    if not form.is_valid():
        context = {"form": form, "exposure": exposure, "case": case}
        return render(request, "interviews/includes/contact_edit_row.html", context)
    exposure.refresh_from_db()  # the form wrote into it; the service compares with the stored row
    contacts.do_update_contact(
        exposure, form.cleaned_data, acting_user=request.user, request=request
    )
    return _table(request, case, _("Contact updated."))


def contact_remove(request: HtmxHttpRequest, pk: int, exposure_pk: int) -> HttpResponse:
    case = _case(request, pk)
    exposure = _exposure(request, case, exposure_pk, read=False)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    name = exposure.contact.full_name
    try:
        contacts.do_remove_contact(exposure, acting_user=request.user, request=request)
    except ValidationError as exc:
        return _table(request, case, "", error=" ".join(exc.messages))
    return _table(request, case, _("%(name)s removed from this case's contacts.") % {"name": name})


def _table(request: HtmxHttpRequest, case: Case, message: str, *, error: str = "") -> HttpResponse:
    if not request.htmx:
        if message:
            messages.success(request, message)
        if error:
            messages.error(request, error)
        return _case_page(case, "#contacts")
    context = {
        "case": case,
        "elicited": panels.elicited_rows(request, case),
        "editable": True,
        "message": message,
        "error": error,
        "swap": True,  # the count in the heading follows, out of band
    }
    response = render(request, "interviews/includes/contacts_table.html", context)
    response["HX-Retarget"] = "#contacts-table"
    response["HX-Reswap"] = "outerHTML"
    return response
