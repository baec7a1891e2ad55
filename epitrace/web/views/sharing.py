"""Sharing a record with another jurisdiction, transferring it, break-glass access."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from epitrace.accounts.scope import has_capability
from epitrace.cases.models import Case
from epitrace.core.statements import Ahead, Statement
from epitrace.jurisdictions.models import Jurisdiction, RecordShare, Transfer
from epitrace.jurisdictions.sharing import (
    break_glass_for_director,
    do_break_glass,
    do_revoke_share,
    do_share_person,
    do_transfer_person,
)
from epitrace.people.models import Person
from epitrace.web.access import method_not_allowed, visible_or_404
from epitrace.web.sharing_forms import BreakGlassForm, ShareForm, TransferForm
from epitrace.web.views.common import HtmxHttpRequest, paginate


def _person_for_change(request: HtmxHttpRequest, pk: int) -> Person:
    people = Person.objects.restrict(request.user, "change").select_related("jurisdiction")
    return visible_or_404(request, people, pk, read=False)


def person_share(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    person = _person_for_change(request, pk)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    form = ShareForm(request.POST, current=person.jurisdiction)
    if form.is_valid():
        try:
            do_share_person(
                person.pk,
                form.cleaned_data["jurisdiction"],
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _flatten(exc))
        else:
            messages.success(request, _("The record is now shared."))
    else:
        messages.error(request, _form_errors(form))
    return redirect("person_detail", pk=person.pk)


def share_revoke(request: HtmxHttpRequest, pk: int, share_pk: int) -> HttpResponse:
    person = _person_for_change(request, pk)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    if not RecordShare.objects.filter(pk=share_pk, person=person, revoked_at__isnull=True).exists():
        raise Http404
    try:
        do_revoke_share(share_pk, acting_user=request.user, request=request)
    except PermissionDenied as exc:
        messages.error(request, _flatten(exc))
    else:
        messages.success(request, _("The share is revoked."))
    return redirect("person_detail", pk=person.pk)


def person_transfer(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    person = _person_for_change(request, pk)
    if refused := method_not_allowed(request, ["POST"]):
        return refused
    form = TransferForm(request.POST, current=person.jurisdiction)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("person_detail", pk=person.pk)
    try:
        transfer = do_transfer_person(
            person.pk,
            form.cleaned_data["jurisdiction"],
            acting_user=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _flatten(exc))
        return redirect("person_detail", pk=person.pk)
    messages.success(
        request, _("The record moved to %(name)s.") % {"name": transfer.to_jurisdiction.name}
    )
    # The record may now be out of the user's reach: go back to it only if not.
    if Person.objects.restrict(request.user, "view").filter(pk=person.pk).exists():
        return redirect("person_detail", pk=person.pk)
    return redirect("home")


@require_http_methods(["GET", "POST"])
def break_glass(request: HtmxHttpRequest) -> HttpResponse:
    if not has_capability(request.user, "access.break_glass"):
        raise Http404
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person_id = _person_id(form.cleaned_data["record"])
        if person_id is None:
            form.add_error("record", _("Give a person number or a case number."))
        else:
            do_break_glass(
                person_id,
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
            return redirect(reverse("person_detail", kwargs={"pk": person_id}))
    return render(request, "web/break_glass.html", {"form": form})


def break_glass_log(request: HtmxHttpRequest) -> HttpResponse:
    if not has_capability(request.user, "audit.view_audit"):
        raise Http404
    page = paginate(request, break_glass_for_director(request.user))
    return render(request, "web/break_glass_log.html", {"page": page})


def _person_id(text: str) -> int | None:
    """The person a break-glass names, by person number or case number.

    A case number resolves through the case table without restriction on
    purpose: that is what break-glass is for, and it is audited.
    """
    if text.startswith("C-") and text[2:].isdigit():
        return (
            Case.objects.restrict(_system(), "view")
            .filter(pk=int(text[2:]))
            .values_list("person_id", flat=True)
            .first()
            or 0  # a case that does not exist: an empty grant, the same answer
        )
    return int(text) if text.isdigit() else None


def _system() -> object:
    from epitrace.accounts.scope import system_user

    return system_user()


# On every person page: statements compiled once (core/statements.py).
_SHARES = Statement(
    lambda person: RecordShare.objects.filter(person=person).select_related(
        "jurisdiction", "created_by", "revoked_by"
    )
)
_TRANSFERS = Statement(
    lambda person: Transfer.objects.filter(person=person).select_related(
        "from_jurisdiction", "to_jurisdiction", "moved_by"
    )
)


def sharing_reads(person: Person) -> list[Ahead]:
    """``sharing_context``'s reads, for a page to send with its others (``reading_ahead``)."""
    return [_SHARES.ahead(person.pk), _TRANSFERS.ahead(person.pk)]


def sharing_context(request: HtmxHttpRequest, person: Person) -> dict[str, object]:
    """What the person page shows about shares and transfers, and the forms."""
    user = request.user
    owner = person.jurisdiction
    can_share = _owns(user, "access.share", owner)
    can_transfer = _owns(user, "access.transfer", owner)
    return {
        "shares": _SHARES.fetch(person.pk),
        "transfers": _TRANSFERS.fetch(person.pk),
        "share_form": ShareForm(current=owner) if can_share else None,
        "transfer_form": TransferForm(current=owner) if can_transfer else None,
    }


def _owns(user: object, capability: str, jurisdiction: Jurisdiction) -> bool:
    from epitrace.accounts.scope import visible_jurisdiction_ids

    ids = visible_jurisdiction_ids(user, capability)
    return ids is None or jurisdiction.pk in ids


def _flatten(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _form_errors(form: ShareForm | TransferForm) -> str:
    return " ".join(
        f"{form.fields[k].label}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()
    )
