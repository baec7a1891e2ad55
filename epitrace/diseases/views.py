"""Disease profile pages: versions, their rules, editing, a new version, the what-if.

Thin views: find the version (404 for an unknown id, whatever the method),
check the method, check who may change, call a service, render. Profiles
are read by every staff member; changing them is for state administrators
and epidemiologists (diseases/access.py). The what-if reads monitorees only
through restricted querysets and audits the sample it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from epitrace.audit.services import Action, record_bulk
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.diseases import access, services, whatif
from epitrace.diseases.forms import ParameterForm, VersionForm
from epitrace.diseases.models import Disease, DiseaseProfile, TestCode
from epitrace.diseases.rules.params import SPECS, RuleParameters
from epitrace.people.models import Person
from epitrace.web.access import method_not_allowed
from epitrace.web.views.common import HtmxHttpRequest, render_with_partial, visible_cases

T = TypeVar("T")


def _version(request: HttpRequest, pk: int, allowed: list[str]) -> DiseaseProfile | HttpResponse:
    """The version, or the 404/405 answer; the lookup comes before the method check."""
    profile = get_object_or_404(DiseaseProfile.objects.select_related("disease", "based_on"), pk=pk)
    if refused := method_not_allowed(request, allowed):
        return refused
    return profile


def _attempt(form: Form, call: Callable[[], T]) -> T | None:
    """The service's result; None with its refusal shown on the form."""
    try:
        return call()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return None


@require_GET
def profile_list(request: HttpRequest) -> HttpResponse:
    versions = DiseaseProfile.objects.order_by("-effective_from", "key")
    diseases = Disease.objects.prefetch_related(Prefetch("profiles", queryset=versions))
    may_change = access.may_change_profiles(request.user)
    # How many cases run on each version: it says which versions are locked.
    usage = services.cases_per_profile() if may_change else {}
    context = {
        "diseases": [
            (disease, [(v, usage.get(v.pk, 0)) for v in disease.profiles.all()])
            for disease in diseases
        ],
        "today": timezone.localdate(),
        "may_change": may_change,
    }
    return render(request, "diseases/profile_list.html", context)


def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    profile = _version(request, pk, ["GET"])
    if isinstance(profile, HttpResponse):
        return profile
    values = profile.parameters or {}
    rows = [(spec, values[spec.name]) for spec in SPECS if spec.name in values]
    known = {spec.name for spec in SPECS}
    test_names = dict(
        TestCode.objects.filter(loinc__in=[t.get("loinc") for t in profile.tests]).values_list(
            "loinc", "name"
        )
    )
    context = {
        "profile": profile,
        "sections": _by_section(rows),
        "other_parameters": {k: v for k, v in values.items() if k not in known},
        "tests": [(t, test_names.get(t.get("loinc", ""), "")) for t in profile.tests],
        "today": timezone.localdate(),
        "in_use": services.cases_using(profile),
        "may_change": access.may_change_profiles(request.user),
        "may_preview": access.may_preview_changes(request.user),
    }
    return render(request, "diseases/profile_detail.html", context)


def _by_section(rows: list[tuple[Any, Any]]) -> list[tuple[str, list[tuple[Any, Any]]]]:
    grouped: dict[str, list[tuple[Any, Any]]] = {}
    for spec, value in rows:
        grouped.setdefault(spec.section, []).append((spec, value))
    return list(grouped.items())


def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the parameters of a version no case runs on; otherwise say why not."""
    profile = _version(request, pk, ["GET", "POST"])
    if isinstance(profile, HttpResponse):
        return profile
    access.require_change(request.user)
    in_use = services.cases_using(profile)
    form = ParameterForm(profile.parameters or {}, request.POST or None, key=profile.key)
    if request.method == "POST" and not in_use and form.is_valid():
        saved = _attempt(
            form,
            lambda: services.do_update_parameters(
                profile, form.parameters(), acting_user=request.user, request=request
            ),
        )
        if saved is not None:
            messages.success(request, _("Parameters saved."))
            return redirect("diseases:detail", profile.pk)
    context = {"profile": profile, "form": form, "in_use": in_use}
    # A refused change to a locked version is a conflict with the version's state.
    status = 409 if request.method == "POST" and in_use else 200
    return render(request, "diseases/profile_edit.html", context, status=status)


def version_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A copy of this version with a new effective date and, perhaps, new parameters."""
    source = _version(request, pk, ["GET", "POST"])
    if isinstance(source, HttpResponse):
        return source
    access.require_change(request.user)
    today = timezone.localdate()
    data = request.POST or None
    version_form = VersionForm(data, initial=VersionForm.initial_for(source, today))
    form = ParameterForm(source.parameters or {}, data, key=source.key)
    if data is not None and version_form.is_valid() and form.is_valid():
        created = _attempt(
            version_form,
            lambda: services.do_create_version(
                source,
                **version_form.cleaned_data,
                parameters=form.parameters(),
                acting_user=request.user,
                request=request,
            ),
        )
        if created is not None:
            messages.success(request, _("New version saved."))
            return redirect("diseases:detail", created.pk)
    context = {"profile": source, "form": form, "version_form": version_form}
    return render(request, "diseases/version_new.html", context)


def what_if(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Change parameters and see how current monitorees' end dates would move."""
    profile = _version(request, pk, ["GET", "POST"])
    if isinstance(profile, HttpResponse):
        return profile
    access.require_preview(request.user)
    today = timezone.localdate()
    form = ParameterForm(profile.parameters or {}, request.POST or None, key=profile.key)
    context: dict[str, Any] = {
        "profile": profile,
        "form": form,
        "may_change": access.may_change_profiles(request.user),
        "version_form": VersionForm(initial=VersionForm.initial_for(profile, today)),
        "today": today,
    }
    if request.method == "POST" and form.is_valid():
        params = RuleParameters.from_mapping(form.parameters(), key=profile.key)
        context.update(_impacts(request, profile, params, today))
    return render_with_partial(request, "diseases/what_if.html", context, "workspace")


def _impacts(
    request: HttpRequest, profile: DiseaseProfile, params: RuleParameters, today: Any
) -> dict[str, Any]:
    user = request.user
    exposures = whatif.open_exposures(Exposure.objects.restrict(user, "view"), profile)
    cases = whatif.isolating_cases(Case.objects.restrict(user, "view"), profile, today)
    contacts = whatif.exposure_impact(exposures, params)
    isolation = whatif.case_impact(cases, params)
    shown = [row.record for row in (*contacts.sample, *isolation.sample)]
    if shown:
        record_bulk(user, Action.READ, shown, request=request, reason="profile what-if sample")
    person_ids = {getattr(r, "contact_id", None) or getattr(r, "person_id", None) for r in shown}
    visible = set(
        Person.objects.restrict(user, "view").filter(pk__in=person_ids).values_list("pk", flat=True)
    )
    # An exposure may be ours through the contact while its case is another jurisdiction's.
    cases_seen = visible_cases(user, (row.record.case_id for row in contacts.sample))
    return {
        "contacts": contacts,
        "isolation": isolation,
        "visible_people": visible,
        "visible_cases": set(cases_seen),
    }
