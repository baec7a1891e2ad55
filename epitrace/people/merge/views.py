"""The possible-duplicates queue, the side-by-side comparison, and unmerge.

Thin views: the pair or merge comes from a queryset holding only what the
user may decide on both sides (``access.py``), looked up before the method
is judged, so another jurisdiction's pair answers 404 like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from epitrace.accounts.scope import has_capability
from epitrace.audit.services import record_read
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.labs.models import LabResult
from epitrace.people.merge import services
from epitrace.people.merge.access import MERGE_CAPABILITY, visible_duplicates, visible_merges
from epitrace.people.merge.choices import DuplicateStatus
from epitrace.people.merge.forms import Decision, DecisionForm, UnmergeForm
from epitrace.people.models import (
    ContactPoint,
    Person,
    PersonIdentifier,
    PossibleDuplicate,
    not_absorbed_q,
)
from epitrace.web.access import method_not_allowed, visible_or_404
from epitrace.web.views.common import HtmxHttpRequest, exposure_rows, paginate

# Bookkeeping columns, not facts about the person.
HIDDEN_FIELDS = {"id", "created_at", "updated_at", "purged_at"}


def queue(request: HtmxHttpRequest) -> HttpResponse:
    if not has_capability(request.user, MERGE_CAPABILITY):
        raise Http404
    if refused := method_not_allowed(request, ["GET"]):
        return refused
    pairs = (
        visible_duplicates(request.user)
        .filter(status=DuplicateStatus.OPEN)
        .select_related("person_a", "person_b")
        .order_by("-score", "id")
    )
    return render(request, "people/duplicate_queue.html", {"page": paginate(request, pairs)})


def compare(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    pairs = visible_duplicates(request.user).select_related(
        "person_a__jurisdiction", "person_a__town", "person_b__jurisdiction", "person_b__town"
    )
    duplicate = visible_or_404(request, pairs, pk, read=False)
    if refused := method_not_allowed(request, ["GET", "POST"]):
        return refused
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _decide(request, duplicate, form.cleaned_data)
    for person in (duplicate.person_a, duplicate.person_b):
        record_read(request.user, person, request=request)
    context = {"pair": duplicate, "form": form, **_comparison(request.user, duplicate)}
    return render(request, "people/duplicate_compare.html", context)


def _decide(
    request: HtmxHttpRequest, duplicate: PossibleDuplicate, data: dict[str, Any]
) -> HttpResponse:
    """Carry out the decision; a refusal goes back to the comparison with its reason."""
    user, reason = request.user, data["reason"]
    if duplicate.status != DuplicateStatus.OPEN:  # decided already: a stale page
        messages.error(request, _("This pair has already been decided."))
        return redirect("duplicates:compare", pk=duplicate.pk)
    try:
        if data["decision"] == Decision.NOT_SAME:
            services.do_mark_not_same(
                duplicate.pk, acting_user=user, reason=reason, request=request
            )
            messages.success(request, _("Marked as two different people."))
            return redirect("duplicates:queue")
        survivor, absorbed = duplicate.person_a_id, duplicate.person_b_id
        if data["decision"] == Decision.MERGE_INTO_B:
            survivor, absorbed = absorbed, survivor
        services.do_merge(survivor, absorbed, acting_user=user, reason=reason, request=request)
    except (Person.DoesNotExist, PossibleDuplicate.DoesNotExist):
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("duplicates:compare", pk=duplicate.pk)
    messages.success(request, _("The records are merged. The merge can be undone from here."))
    return redirect("person_detail", pk=survivor)


def unmerge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    merge = visible_or_404(request, visible_merges(request.user), pk, read=False)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    form = UnmergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("reason", [])))
        return redirect("person_detail", pk=merge.survivor_id)
    try:
        services.do_unmerge(
            merge.pk, acting_user=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("person_detail", pk=merge.survivor_id)
    messages.success(request, _("The merge is undone: both records are back as they were."))
    return redirect("person_detail", pk=merge.merged_id)


def merge_history_context(request: HtmxHttpRequest, person: Person) -> dict[str, object]:
    """What the person page shows of the merges into this person, with unmerge forms."""
    merges = (
        visible_merges(request.user)
        .filter(survivor=person)
        .select_related("merged", "merged_by", "unmerged_by")
    )
    return {"merges": merges}


# --- The comparison -----------------------------------------------------------------------


@dataclass
class FieldRow:
    """One field of both persons, and what the matcher made of it."""

    label: str
    left: str
    right: str
    differs: bool
    contribution: dict[str, Any] | None


def _comparison(user: Any, pair: PossibleDuplicate) -> dict[str, object]:
    left, right = pair.person_a, pair.person_b
    contributions = _contributions(pair.explanation)
    return {
        "rows": _field_rows(user, left, right, contributions),
        "contributions": contributions,
        "sides": [_records(user, left), _records(user, right)],
    }


def _contributions(explanation: Any) -> dict[str, dict[str, Any]]:
    """Field -> {"level", "weight"} from the matcher's explanation.

    The matcher gives ``{"contributions": [{"field", "level", "weight"}, ...]}``;
    a plain ``{field: weight}`` mapping is read too.
    """
    if not isinstance(explanation, dict):
        return {}
    listed = explanation.get("contributions")
    if isinstance(listed, list):
        return {
            str(item["field"]): {"level": item.get("level", ""), "weight": item.get("weight")}
            for item in listed
            if isinstance(item, dict) and "field" in item
        }
    return {
        str(name): {"level": "", "weight": value}
        for name, value in explanation.items()
        if isinstance(value, int | float)
    }


def _field_rows(
    user: Any, left: Person, right: Person, contributions: dict[str, dict[str, Any]]
) -> list[FieldRow]:
    guardians = Person.objects.restrict(user, "view").filter(
        not_absorbed_q(), pk__in=[left.guardian_id, right.guardian_id]
    )
    reachable = {guardian.pk: guardian.full_name for guardian in guardians}
    rows = []
    for field in Person._meta.concrete_fields:
        if field.name in HIDDEN_FIELDS:
            continue
        shown = [_shown(person, field.name, reachable) for person in (left, right)]
        rows.append(
            FieldRow(
                label=str(field.verbose_name).capitalize(),
                left=shown[0],
                right=shown[1],
                differs=shown[0] != shown[1],
                contribution=contributions.get(field.name),
            )
        )
    return rows


def _shown(person: Person, name: str, reachable: dict[int, str]) -> str:
    """A field's value as staff read it; a guardian out of reach is only said to exist."""
    if name == "guardian":
        if person.guardian_id is None:
            return ""
        return reachable.get(person.guardian_id) or _("(a person outside your jurisdictions)")
    display = getattr(person, f"get_{name}_display", None)
    value = display() if display else getattr(person, name)
    if value is None or value == "":
        return ""
    return str(value)


def _records(user: Any, person: Person) -> dict[str, object]:
    """The records of one side, each from the user's restricted view."""
    exposures = Exposure.objects.restrict(user, "view").filter(contact=person)
    return {
        "person": person,
        "cases": Case.objects.restrict(user, "view")
        .filter(person=person)
        .select_related("disease"),
        "labs": LabResult.objects.restrict(user, "view").filter(person=person),
        "exposures": exposure_rows(user, exposures.select_related("case"), link="case_id"),
        "contact_points": ContactPoint.objects.restrict(user, "view").filter(person=person),
        "identifiers": PersonIdentifier.objects.restrict(user, "view").filter(person=person),
    }
