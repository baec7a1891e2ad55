"""Letters as PDF from a case or an exposure, and the template editor.

A letter is reached only through the restricted queryset of its record: a
record the user may not see is answered 404 whatever the method, and
printing one is audited as an export of the person's data. The template
pages answer 404 to anyone but a state administrator (access.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from epitrace.audit.services import Action, record, record_read
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.letters import placeholders, services
from epitrace.letters.access import template_editor
from epitrace.letters.choices import (
    KINDS_FOR,
    LETTER_LANGUAGES,
    LetterKind,
    Subject,
    letter_language,
)
from epitrace.letters.forms import TemplateForm
from epitrace.letters.models import LetterTemplate, LetterTemplateVersion
from epitrace.letters.pdf import render as render_pdf
from epitrace.letters.services import IssuedLetter, LetterRefused
from epitrace.web.access import method_not_allowed, visible_or_404

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def framed_by_editor(view: View) -> View:
    """Let the template editor show this response in its preview frame, and no one else.

    The site forbids framing (X-Frame-Options DENY, frame-ancestors 'none');
    the preview PDF is the one response our own pages frame.
    """
    framed = csp_replace({"frame-ancestors": ["'self'"]})(xframe_options_sameorigin(view))
    return cast(View, framed)


# --- Letters from records ---------------------------------------------------------------


def case_letter(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    cases = Case.objects.restrict(request.user, "view").select_related("person", "jurisdiction")
    case = visible_or_404(request, cases, pk, read=False)
    if refused := method_not_allowed(request, ["GET"]):
        return refused
    if kind not in KINDS_FOR[Subject.CASE]:
        raise Http404
    back = reverse("case_detail", args=[case.pk])
    language = _language(request, case.person.preferred_language)
    if language is None:
        return _bad_language(request, case, back)
    try:
        issued = services.case_letter(case, kind, language)
    except LetterRefused as refusal:
        return _refused(request, case, refusal, back)
    return _issued(request, case, issued, kind, f"{kind}-letter-{case.number}")


def exposure_letter(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    exposures = Exposure.objects.restrict(request.user, "view").select_related(
        "contact", "jurisdiction"
    )
    exposure = visible_or_404(request, exposures, pk, read=False)
    if refused := method_not_allowed(request, ["GET"]):
        return refused
    if kind not in KINDS_FOR[Subject.EXPOSURE]:
        raise Http404
    back = reverse("person_detail", args=[exposure.contact_id])
    language = _language(request, exposure.contact.preferred_language)
    if language is None:
        return _bad_language(request, exposure, back)
    try:
        issued = services.exposure_letter(exposure, kind, language)
    except LetterRefused as refusal:
        return _refused(request, exposure, refusal, back)
    return _issued(request, exposure, issued, kind, f"{kind}-letter-exposure-{exposure.pk}")


def _language(request: HttpRequest, preferred: str) -> str | None:
    """The ``?language=`` chosen, else the person's own; None for one without letters."""
    chosen = request.GET.get("language")
    if chosen is None or chosen == "":
        return letter_language(preferred)
    return chosen if chosen in LETTER_LANGUAGES else None


def _bad_language(request: HttpRequest, obj: Case | Exposure, back: str) -> HttpResponse:
    message = _(
        "There are no letters in the language “%(language)s”. Choose one of: %(codes)s."
    ) % {
        "language": request.GET.get("language", ""),
        "codes": ", ".join(LETTER_LANGUAGES),
    }
    return _refused(request, obj, LetterRefused(message), back, status=400)


def _refused(
    request: HttpRequest,
    obj: Case | Exposure,
    refusal: LetterRefused,
    back: str,
    *,
    status: int = 409,
) -> HttpResponse:
    # The page names the record and why it has no letter: a read of it.
    record_read(request.user, obj, request=request)
    context = {"reason": str(refusal), "back": back}
    return render(request, "letters/refused.html", context, status=status)


def _issued(
    request: HttpRequest, obj: Case | Exposure, issued: IssuedLetter, kind: str, name: str
) -> HttpResponse:
    content = render_pdf(issued.letter)
    record(
        Action.EXPORT,
        actor=request.user,
        obj=obj,
        request=request,
        payload={
            "letter": kind,
            "language": issued.letter.language,
            "template_version": issued.version.number,
        },
    )
    return _pdf(content, f"{name}-{issued.letter.language}.pdf")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- Template editor ---------------------------------------------------------------------


@template_editor
@require_http_methods(["GET"])
def template_list(request: HttpRequest) -> HttpResponse:
    newest = (
        LetterTemplateVersion.objects.filter(template=OuterRef("pk"))
        .order_by("-number")
        .values("pk")[:1]
    )
    templates = list(LetterTemplate.objects.annotate(newest_id=Subquery(newest)))
    versions = LetterTemplateVersion.objects.select_related("created_by").in_bulk(
        [template.newest_id for template in templates]
    )
    groups = [
        (kind, [(t, versions.get(t.newest_id)) for t in templates if t.kind == kind])
        for kind in LetterKind
    ]
    return render(request, "letters/template_list.html", {"groups": groups})


@template_editor
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(LetterTemplate, pk=pk)
    current = template.current_version()
    if request.method == "POST":
        form = TemplateForm(request.POST, template=template)
        if form.is_valid() and (version := _save(request, form, template)):
            messages.success(request, _("Version %(number)s saved.") % {"number": version.number})
            return redirect("letters:template_edit", pk=template.pk)
    else:
        form = TemplateForm(initial=_initial(current), template=template)
    context = {
        "template": template,
        "current": current,
        "form": form,
        "available": placeholders.available(template.kind),
    }
    return render(request, "letters/template_edit.html", context)


def _initial(version: LetterTemplateVersion | None) -> dict[str, Any]:
    if version is None:
        return {"based_on": 0}
    return {"title": version.title, "body": version.body, "based_on": version.number}


def _save(
    request: HttpRequest, form: TemplateForm, template: LetterTemplate
) -> LetterTemplateVersion | None:
    data = form.cleaned_data
    try:
        return services.do_save_template(
            template,
            title=data["title"],
            body=data["body"],
            note=data["note"],
            based_on=data["based_on"],
            acting_user=request.user,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None


@template_editor
@framed_by_editor
@require_http_methods(["GET", "POST"])
def template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The wording being edited (POST) or the current one (GET), with sample data."""
    template = get_object_or_404(LetterTemplate, pk=pk)
    if request.method == "POST":
        form = TemplateForm(request.POST, template=template)
        if not form.is_valid():
            context = {"form": form}
            return render(request, "letters/preview_errors.html", context, status=400)
        title, body = form.cleaned_data["title"], form.cleaned_data["body"]
    else:
        current = template.current_version()
        if current is None:
            raise Http404
        title, body = current.title, current.body
    return _sample_pdf(request, template, title, body)


@template_editor
@require_http_methods(["GET"])
def version_preview(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    version = get_object_or_404(LetterTemplateVersion, template_id=pk, number=number)
    return _sample_pdf(request, version.template, version.title, version.body)


def _sample_pdf(
    request: HttpRequest, template: LetterTemplate, title: str, body: str
) -> HttpResponse:
    try:
        letter = services.sample_letter(template.kind, template.language, title, body)
    except LetterRefused as refusal:
        context = {
            "reason": str(refusal),
            "back": reverse("letters:template_edit", args=[template.pk]),
        }
        return render(request, "letters/refused.html", context, status=409)
    return _pdf(render_pdf(letter), f"sample-{template.kind}-letter-{template.language}.pdf")


@template_editor
@require_http_methods(["GET"])
def template_history(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(LetterTemplate, pk=pk)
    versions = template.versions.select_related("created_by").order_by("-number")
    return render(
        request, "letters/template_history.html", {"template": template, "versions": versions}
    )


@template_editor
@require_POST
def version_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Save an earlier wording again, as a new version: the history only grows."""
    version = get_object_or_404(LetterTemplateVersion, template_id=pk, number=number)
    current = version.template.current_version()
    try:
        restored = services.do_save_template(
            version.template,
            title=version.title,
            body=version.body,
            note=_("Restored version %(number)s.") % {"number": version.number},
            based_on=current.number if current else 0,
            acting_user=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("letters:template_history", pk=pk)
    messages.success(
        request,
        _("Version %(old)s restored as version %(new)s.")
        % {"old": version.number, "new": restored.number},
    )
    return redirect("letters:template_edit", pk=pk)
