"""The self-interview's pages: one short step per screen, a review, then "Send".

Each step is a plain form (no script needed): the lists (household,
settings, contacts) add one entry per press of "Add", and "Continue" also
adds what is still typed in the entry fields, so nothing typed is lost.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from epitrace.portal import wording
from epitrace.portal.choices import LinkPurpose
from epitrace.portal.forms import (
    ContactForm,
    HouseholdMemberForm,
    NeedsForm,
    PortalForm,
    SettingForm,
    SymptomsForm,
    problems,
)
from epitrace.portal.models import PortalLink
from epitrace.portal.selfinterview import (
    STEPS,
    AlreadyReported,
    Draft,
    do_submit_self_interview,
    linked_interview,
)
from epitrace.portal.session import expired, linked, page

ROW_FORMS: dict[str, type[PortalForm]] = {
    "household": HouseholdMemberForm,
    "settings": SettingForm,
    "contacts": ContactForm,
}


def _go(step: str) -> HttpResponse:
    return redirect("portal:interview_step", step=step)


def _neighbour(step: str, offset: int) -> str:
    return STEPS[max(0, min(len(STEPS) - 1, STEPS.index(step) + offset))]


def _closed(request: HttpRequest, link: PortalLink) -> HttpResponse | None:
    """The page to show instead of the form when the interview can no longer be sent."""
    interview = linked_interview(link)
    if interview is None or not (interview.is_completed or interview.is_self_reported):
        return None
    return page(request, "portal/interview/submitted.html", {"interview": interview})


@linked(LinkPurpose.SELF_INTERVIEW)
def step(request: HttpRequest, link: PortalLink, step: str = STEPS[0]) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    if link.case is None:
        return expired(request)
    if closed := _closed(request, link):
        return closed
    draft = Draft.load(request, link)
    missing = [s for s in STEPS[: STEPS.index(step)] if s not in draft.done]
    if missing:  # a step cannot be skipped by typing its address
        return _go(missing[0])
    if request.method == "POST" and request.POST.get("action") == "back":
        return _go(_neighbour(step, -1))
    if step == "review":
        return _review(request, link, draft)
    if step in ROW_FORMS:
        return _rows(request, link, draft, step)
    return _single(request, link, draft, step)


def _form(step: str, link: PortalLink, data: Any = None, initial: Any = None) -> PortalForm:
    if step == "symptoms":
        case = link.case
        assert case is not None
        symptoms = case.profile.symptoms if case.profile else []
        return SymptomsForm(data, initial=initial, symptoms=symptoms, report_date=case.report_date)
    if step == "needs":
        return NeedsForm(data, initial=initial)
    return ROW_FORMS[step](data)


SINGLE_FIELDS = {
    "symptoms": ("symptoms", "no_symptoms", "onset_date"),
    "needs": ("needs", "consent", "needs_note"),
}


def _single(request: HttpRequest, link: PortalLink, draft: Draft, step: str) -> HttpResponse:
    fields = SINGLE_FIELDS[step]
    if request.method != "POST":
        form = _form(step, link, initial={name: getattr(draft, name) for name in fields})
        return _render(request, link, step, form=form)
    form = _form(step, link, request.POST)
    if not form.is_valid():
        return _render(request, link, step, form=form)
    for name in fields:
        value = form.cleaned_data.get(name)
        if name == "onset_date":
            value = value.isoformat() if value else ""
        setattr(draft, name, value)
    draft.pass_step(step)
    draft.save(request)
    return _go(_neighbour(step, 1))


def _rows(request: HttpRequest, link: PortalLink, draft: Draft, step: str) -> HttpResponse:
    form = _form(step, link)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action.startswith("remove:"):
            draft.remove_row(step, action.removeprefix("remove:"))
            draft.save(request)
            return _go(step)
        typed = any(request.POST.get(name, "").strip() for name in form.fields)
        if action == "add" or typed:
            form = _form(step, link, request.POST)
            if form.is_valid():
                try:
                    draft.add_row(step, form.cleaned_data)
                except ValidationError as exc:
                    form.add_error(None, exc)
            if form.errors:
                return _render(request, link, step, form=form, draft=draft)
        if action == "next":
            draft.pass_step(step)
            draft.save(request)
            return _go(_neighbour(step, 1))
        draft.save(request)
        return _go(step)
    return _render(request, link, step, form=form, draft=draft)


def _review(request: HttpRequest, link: PortalLink, draft: Draft) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "send":
        # Sent from another tab, or completed by a tracer: the next page says which.
        with contextlib.suppress(AlreadyReported):
            do_submit_self_interview(link, draft, request=request, today=timezone.localdate())
        Draft.forget(request)
        return redirect("portal:interview_done")
    return _render(request, link, "review", draft=draft)


def _render(request: HttpRequest, link: PortalLink, step: str, **context: Any) -> HttpResponse:
    form = context.get("form")
    draft = context.get("draft") or Draft.load(request, link)
    case = link.case
    assert case is not None
    symptom_names = {
        str(s.get("key")): wording.symptom(s)
        for s in (case.profile.symptoms if case.profile else [])
    }
    values = {
        "step": step,
        "number": STEPS.index(step) + 1,
        "total": len(STEPS),
        "problems": problems(form) if form is not None and form.is_bound else [],
        "draft": draft,
        "person": link.person,
        "symptom_names": [symptom_names.get(k, k) for k in draft.symptoms],
        "needs": [wording.label(wording.NEEDS, n) for n in draft.needs],
        "rows": _shown_rows(draft),
        **context,
    }
    status = 400 if values["problems"] else 200
    return page(request, f"portal/interview/{step}.html", values, status=status)


def _shown_rows(draft: Draft) -> dict[str, list[tuple[str, str]]]:
    """Each entry of the lists as one line of text, with its key (for "Remove")."""

    def name(row: dict[str, Any]) -> str:
        return f"{row['given_name']} {row['family_name']}"

    def born(row: dict[str, Any]) -> str:
        return row.get("birth_date") or str(row.get("age", ""))

    return {
        "household": [(r["key"], f"{name(r)} · {born(r)}") for r in draft.household],
        "settings": [
            (r["key"], f"{wording.label(wording.SETTINGS, r['type'])} · {r['name']} · {r['date']}")
            for r in draft.settings
        ],
        "contacts": [
            (
                r["key"],
                " · ".join(
                    part
                    for part in (
                        name(r),
                        r.get("phone", ""),
                        wording.label(wording.RELATIONS, r["relation"]),
                        r["last_exposure_date"],
                    )
                    if part
                ),
            )
            for r in draft.contacts
        ],
    }


@linked(LinkPurpose.SELF_INTERVIEW)
def done(request: HttpRequest, link: PortalLink) -> HttpResponse:
    interview = linked_interview(link)
    if interview is None or not (interview.is_self_reported or interview.is_completed):
        return _go(STEPS[0])
    return page(request, "portal/interview/thanks.html", {"interview": interview})
