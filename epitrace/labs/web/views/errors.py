"""The errors screen: rejected lab messages, their reasons, correction and reprocessing.

A rejected message has no jurisdiction yet (nobody could read whose it is),
so ``RawMessage.scope_q`` shows it only at the state: below the state the
list is empty and every message page answers 404. Reprocessing needs
``labs.change_rawmessage`` over the message, checked again per message by
the service, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Page
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from epitrace.accounts.scope import has_capability
from epitrace.audit.services import record_denied, record_read
from epitrace.labs.choices import MessageState
from epitrace.labs.models import LabResult, RawMessage
from epitrace.labs.web.content import display_lines, file_name, with_line_breaks
from epitrace.labs.web.forms import CorrectionForm, ErrorFilter, rejected_messages
from epitrace.labs.web.reprocessing import (
    ACCEPTED,
    DUPLICATE,
    REJECTED,
    SKIPPED,
    Outcome,
    do_correct_message,
    do_reprocess_messages,
)
from epitrace.people.models import Person
from epitrace.web.access import method_not_allowed, visible_or_404
from epitrace.web.views.common import HtmxHttpRequest, paginate, render_with_partial, visible_cases

CHANGE_CAPABILITY = "labs.change_rawmessage"
# A selection comes from one page of the list; more is not a click, it is a script.
MAX_SELECTED = 100


@dataclass(frozen=True)
class ErrorRow:
    message: RawMessage
    file_name: str


@require_safe
def error_list(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    # The list never shows the text of a message: leave it in the database.
    rejected = rejected_messages(user).defer("content")
    filterset = ErrorFilter(request.GET, queryset=rejected, request=request)
    page = paginate(request, filterset.qs.order_by("-received_at", "-id"))
    context = {
        "filter": filterset,
        "page": page,
        "rows": _rows(page),
        "can_reprocess": has_capability(user, CHANGE_CAPABILITY),
        "query": request.GET.urlencode(),
    }
    return render_with_partial(request, "labs/errors.html", context, "results")


def _rows(page: Page[Any]) -> list[ErrorRow]:
    return [ErrorRow(message, file_name(message.source_name)) for message in page.object_list]


@require_POST
def errors_reprocess(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_capability(user, CHANGE_CAPABILITY):
        raise Http404
    ids = _selected_ids(request.POST.getlist("selected"))
    if not ids:
        messages.warning(request, _("Select at least one message to reprocess."))
    elif len(ids) > MAX_SELECTED:
        messages.error(
            request, _("Select at most %(max)d messages at a time.") % {"max": MAX_SELECTED}
        )
    else:
        _audit_out_of_reach(request, ids)
        announce(request, do_reprocess_messages(ids, acting_user=user, request=request))
    return _back_to_list(request.POST.get("query", ""))


def _selected_ids(values: Iterable[str]) -> list[int]:
    """The selected message ids, in order, once each; anything else is dropped."""
    return list(dict.fromkeys(int(v) for v in values if v.isascii() and v.isdigit()))


def _audit_out_of_reach(request: HttpRequest, ids: list[int]) -> None:
    """Selected ids the user may not change are denied lookups, audited like a 404."""
    reachable = set(
        RawMessage.objects.restrict(request.user, "change")
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    for pk in ids:
        if pk not in reachable:
            record_denied(request.user, RawMessage, pk, request=request)


def _back_to_list(query: str) -> HttpResponseRedirect:
    # Re-encoded, so the filters the list had can only ever be a query string.
    filters = QueryDict(query).urlencode()
    return redirect(reverse("labs:errors") + (f"?{filters}" if filters else ""))


def error_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    changing = request.method == "POST"
    # Before the method is judged: out of reach is the same 404 for every method.
    reachable = RawMessage.objects.restrict(user, "change" if changing else "view")
    raw = visible_or_404(request, reachable, pk, read=not changing)
    if refused := method_not_allowed(request, ["GET", "POST"]):
        return refused
    if changing:
        return _correct(request, raw)
    return _show(request, raw, CorrectionForm(initial={"content": raw.content}))


def _correct(request: HttpRequest, raw: RawMessage) -> HttpResponse:
    if raw.state != MessageState.REJECTED or raw.purged_at:
        messages.error(request, _("Only a rejected message can be corrected."))
        return redirect("labs:error_detail", pk=raw.pk)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        # The page shows the stored text again: a read, like the GET.
        record_read(request.user, raw, request=request)
        return _show(request, raw, form)
    content = with_line_breaks(form.cleaned_data["content"], raw.content)
    outcome = do_correct_message(raw.pk, content, acting_user=request.user, request=request)
    announce(request, [outcome])
    # Accepted, the message now belongs to the person's jurisdiction: still ours?
    if RawMessage.objects.restrict(request.user, "view").filter(pk=raw.pk).exists():
        return redirect("labs:error_detail", pk=raw.pk)
    return redirect("labs:errors")


def _show(request: HttpRequest, raw: RawMessage, form: CorrectionForm) -> HttpResponse:
    user = request.user
    rejected = raw.state == MessageState.REJECTED
    editable = (
        rejected
        and not raw.purged_at
        and RawMessage.objects.restrict(user, "change").filter(pk=raw.pk).exists()
    )
    context = {
        "message": raw,
        "file_name": file_name(raw.source_name),
        "lines": display_lines(raw.content, raw.format, raw.error if rejected else ""),
        "form": form if editable else None,
        **_results_context(user, raw),
    }
    return render(request, "labs/error_detail.html", context)


def _results_context(user: Any, raw: RawMessage) -> dict[str, Any]:
    """The results an accepted message stored, and their persons, as far as the user sees."""
    if raw.state != MessageState.PROCESSED:
        return {"labs": [], "persons": []}
    labs = list(
        LabResult.objects.restrict(user, "view")
        .filter(raw_message=raw)
        .select_related("disease")
        .order_by("id")
    )
    cases = visible_cases(user, (lab.case_id for lab in labs))
    for lab in labs:
        # Link a result to its case only when that case is one the user sees.
        lab.visible_case = cases.get(lab.case_id) if lab.case_id else None
    persons = Person.objects.restrict(user, "view").filter(pk__in={lab.person_id for lab in labs})
    return {"labs": labs, "persons": list(persons)}


def announce(request: HttpRequest, outcomes: list[Outcome]) -> None:
    """Tell the user what became of each message, grouped by outcome."""
    by_result: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_result.setdefault(outcome.result, []).append(outcome)
    if accepted := by_result.get(ACCEPTED):
        stored = sum(o.results_stored for o in accepted)
        messages.success(request, _accepted_text(accepted, stored))
    if duplicates := by_result.get(DUPLICATE):
        messages.info(request, _duplicate_text(duplicates))
    for outcome in by_result.get(REJECTED, []):
        messages.warning(
            request,
            _("Message %(id)s is still rejected: %(reason)s")
            % {"id": outcome.message_id, "reason": outcome.reason},
        )
    if skipped := by_result.get(SKIPPED):
        messages.warning(request, _skipped_text(skipped))


def _ids(outcomes: list[Outcome]) -> str:
    return ", ".join(str(o.message_id) for o in outcomes)


def _accepted_text(accepted: list[Outcome], stored: int) -> str:
    messages_part = ngettext(
        "Message %(ids)s accepted.", "Messages %(ids)s accepted.", len(accepted)
    ) % {"ids": _ids(accepted)}
    results_part = ngettext("%(stored)d result stored.", "%(stored)d results stored.", stored) % {
        "stored": stored
    }
    return f"{messages_part} {results_part}"


def _duplicate_text(duplicates: list[Outcome]) -> str:
    return ngettext(
        "Message %(ids)s is a copy of a message already accepted: nothing new was stored.",
        "Messages %(ids)s are copies of messages already accepted: nothing new was stored.",
        len(duplicates),
    ) % {"ids": _ids(duplicates)}


def _skipped_text(skipped: list[Outcome]) -> str:
    # The same words whether it was reprocessed meanwhile or is out of reach.
    return ngettext(
        "Message %(ids)s was not reprocessed: it is no longer rejected, or not yours to change.",
        "Messages %(ids)s were not reprocessed: they are no longer rejected, or not yours "
        "to change.",
        len(skipped),
    ) % {"ids": _ids(skipped)}
