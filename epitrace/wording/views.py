"""The wording screens: the messages of a jurisdiction, the editor with a live preview.

Only holders of ``wording.change_wording`` see them, for the jurisdictions
where they hold it (access.py); any other jurisdiction answers 404. Views
parse, check access and call the services; the checks live in checks.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from epitrace.jurisdictions.models import Jurisdiction
from epitrace.outreach.choices import Purpose
from epitrace.outreach.rendering import (
    FALLBACK,
    catalogue_languages,
    default_source,
    languages,
    templates,
)
from epitrace.people.choices import LANGUAGE_NAMES
from epitrace.wording.access import editable_jurisdictions, editable_or_404, words_messages
from epitrace.wording.forms import WordingForm
from epitrace.wording.lookup import nearest
from epitrace.wording.models import CHANNELS, MessageWording
from epitrace.wording.preview import preview
from epitrace.wording.services import do_revert_wording, do_save_wording


@dataclass(frozen=True)
class Cell:
    language: str
    url: str
    own: MessageWording | None  # this jurisdiction's active wording
    inherited_from: Jurisdiction | None  # else the nearest ancestor's
    translated: bool  # else the default goes out in English


@dataclass(frozen=True)
class Row:
    channel: str
    template: str
    label: str
    cells: list[Cell]


def _label(template: str) -> str:
    return str(Purpose(template).label) if template in Purpose.values else template


@require_GET
def wording_list(request: HttpRequest) -> HttpResponse:
    if not words_messages(request.user):
        raise Http404
    choices = editable_jurisdictions(request.user)
    chosen = _chosen(request, choices)
    lineage = chosen.ancestors_and_self()
    depth = {j.pk: index for index, j in enumerate(lineage)}
    rows_in_use: dict[tuple[str, str, str], MessageWording] = {}
    for row in MessageWording.objects.filter(jurisdiction__in=lineage, active=True).select_related(
        "jurisdiction", "updated_by"
    ):
        key = (row.channel, row.template, row.language)
        if (
            key not in rows_in_use
            or depth[row.jurisdiction_id] > depth[rows_in_use[key].jurisdiction_id]
        ):
            rows_in_use[key] = row
    codes = [FALLBACK, *catalogue_languages()]
    codes += sorted({key[2] for key in rows_in_use} - set(codes))
    table = [
        Row(channel, name, _label(name), _cells(chosen, channel, name, codes, rows_in_use))
        for channel in CHANNELS
        for name in templates(channel)
    ]
    context = {
        "jurisdictions": choices,
        "chosen": chosen,
        "codes": [(code, LANGUAGE_NAMES.get(code, code)) for code in codes],
        "rows": table,
        "all_languages": sorted(LANGUAGE_NAMES.items(), key=lambda item: item[1]),
    }
    return render(request, "wording/list.html", context)


def _chosen(request: HttpRequest, choices: list[Jurisdiction]) -> Jurisdiction:
    if not choices:
        raise Http404
    wanted = request.GET.get("jurisdiction", "")
    if not wanted:
        return choices[0]
    found = next((j for j in choices if str(j.pk) == wanted), None)
    if found is None:
        raise Http404
    return found


def _cells(
    chosen: Jurisdiction,
    channel: str,
    template: str,
    codes: list[str],
    in_use: dict[tuple[str, str, str], MessageWording],
) -> list[Cell]:
    cells = []
    shipped = languages(channel, template)
    for code in codes:
        row = in_use.get((channel, template, code))
        own = row if row is not None and row.jurisdiction_id == chosen.pk else None
        inherited = row.jurisdiction if row is not None and own is None else None
        url = reverse("wording:edit", args=[chosen.pk, channel, template, code])
        cells.append(Cell(code, url, own, inherited, code in shipped))
    return cells


@require_GET
def wording_start(request: HttpRequest) -> HttpResponse:
    """The editor for a message in a language the list has no column for yet."""
    jurisdiction = editable_or_404(request.user, _int(request.GET.get("jurisdiction")))
    channel, _slash, template = request.GET.get("message", "").partition("/")
    language = request.GET.get("language", "")
    _check_message(channel, template, language)
    return redirect("wording:edit", jurisdiction.pk, channel, template, language)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError as exc:
        raise Http404 from exc


def _check_message(channel: str, template: str, language: str) -> None:
    if channel not in CHANNELS or template not in templates(channel):
        raise Http404
    if language not in LANGUAGE_NAMES:
        raise Http404


def _own(jurisdiction: Jurisdiction, channel: str, template: str, language: str) -> Any:
    return (
        MessageWording.objects.filter(
            jurisdiction=jurisdiction, channel=channel, template=template, language=language
        )
        .select_related("updated_by")
        .first()
    )


@require_http_methods(["GET", "POST"])
def wording_edit(
    request: HttpRequest, jurisdiction_id: int, channel: str, template: str, language: str
) -> HttpResponse:
    jurisdiction = editable_or_404(request.user, jurisdiction_id)
    _check_message(channel, template, language)
    own = _own(jurisdiction, channel, template, language)
    inherited = _inherited(jurisdiction, channel, template, language)
    options = {"channel": channel, "template": template, "language": language}
    if request.method == "POST":
        form = WordingForm(request.POST, **options)
        if form.is_valid() and _save(request, form, jurisdiction, options):
            messages.success(request, _("The wording is saved and in use from now on."))
            return redirect("wording:edit", jurisdiction.pk, channel, template, language)
        subject, body = form.data.get("subject", ""), form.data.get("body", "")
    else:
        subject, body = _starting_text(own, inherited, channel, template, language)
        form = WordingForm(initial={"subject": subject, "body": body}, **options)
    context = {
        "jurisdiction": jurisdiction,
        "channel": channel,
        "template": template,
        "label": _label(template),
        "language": language,
        "language_name": LANGUAGE_NAMES.get(language, language),
        "translated": language in languages(channel, template),
        "own": own,
        "inherited": inherited,
        "form": form,
        "preview": preview(channel, template, language, subject, body),
    }
    return render(request, "wording/edit.html", context)


def _inherited(
    jurisdiction: Jurisdiction, channel: str, template: str, language: str
) -> MessageWording | None:
    if jurisdiction.parent_id is None:
        return None
    found = nearest(channel, template, [language], jurisdiction.parent_id).get(language)
    if found is None:
        return None
    return MessageWording.objects.select_related("jurisdiction").get(pk=found.pk)


def _starting_text(
    own: MessageWording | None,
    inherited: MessageWording | None,
    channel: str,
    template: str,
    language: str,
) -> tuple[str, str]:
    source = own or inherited
    if source is not None:
        return source.subject, source.body
    return default_source(channel, template, language)


def _save(
    request: HttpRequest, form: WordingForm, jurisdiction: Jurisdiction, options: dict[str, str]
) -> bool:
    try:
        do_save_wording(
            jurisdiction,
            options["channel"],
            options["template"],
            options["language"],
            subject=form.cleaned_data.get("subject", ""),
            body=form.cleaned_data["body"],
            acting_user=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error("body", message)
        return False
    return True


@require_POST
def wording_preview(
    request: HttpRequest, jurisdiction_id: int, channel: str, template: str, language: str
) -> HttpResponse:
    """The text being typed, rendered with sample values (htmx swaps it in)."""
    editable_or_404(request.user, jurisdiction_id)
    _check_message(channel, template, language)
    shown = preview(
        channel,
        template,
        language,
        request.POST.get("subject", ""),
        request.POST.get("body", "").replace("\r\n", "\n"),
    )
    context = {"preview": shown, "channel": channel, "language": language}
    return render(request, "wording/_preview.html", context)


@require_POST
def wording_revert(
    request: HttpRequest, jurisdiction_id: int, channel: str, template: str, language: str
) -> HttpResponse:
    jurisdiction = editable_or_404(request.user, jurisdiction_id)
    _check_message(channel, template, language)
    own = _own(jurisdiction, channel, template, language)
    if own is None:
        raise Http404
    do_revert_wording(own, acting_user=request.user)
    messages.success(request, _("Back to the default wording."))
    return redirect("wording:edit", jurisdiction.pk, channel, template, language)
