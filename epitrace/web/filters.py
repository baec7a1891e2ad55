"""The case list's filters, over a queryset the view has already restricted."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.cases.choices import CaseStatus, Classification, InvestigationStatus
from epitrace.cases.models import Case
from epitrace.diseases.models import Disease
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.web.search import case_search_q


def visible_jurisdictions(request: HttpRequest | None) -> QuerySet[Jurisdiction]:
    """Only jurisdictions whose cases the user may see: a sibling's name is not offered."""
    user = getattr(request, "user", None)
    ids = visible_jurisdiction_ids(user, "cases.view_case")
    if ids is None:
        return Jurisdiction.objects.all()
    return Jurisdiction.objects.filter(id__in=ids)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Case number or name"),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
        help_text=_('"C-0000123", "123", "Silva", "Ana Sil" or "Silva, Ana"'),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=CaseStatus.choices, empty_label=_("Any status")
    )
    classification = django_filters.ChoiceFilter(
        label=_("Classification"),
        choices=Classification.choices,
        empty_label=_("Any classification"),
    )
    investigation_status = django_filters.ChoiceFilter(
        label=_("Investigation"),
        choices=InvestigationStatus.choices,
        empty_label=_("Any investigation status"),
    )
    disease = django_filters.ModelChoiceFilter(
        label=_("Disease"), queryset=Disease.objects.all(), empty_label=_("Any disease")
    )
    jurisdiction = django_filters.ModelChoiceFilter(
        label=_("Jurisdiction"),
        queryset=visible_jurisdictions,
        method="filter_jurisdiction",
        empty_label=_("All my jurisdictions"),
    )
    report_from = django_filters.DateFilter(
        label=_("Reported from"), field_name="report_date", lookup_expr="gte", widget=DateInput()
    )
    report_to = django_filters.DateFilter(
        label=_("Reported to"), field_name="report_date", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if not value.strip():
            return queryset
        return queryset.filter(case_search_q(value))

    def filter_jurisdiction(
        self, queryset: QuerySet[Case], name: str, value: Jurisdiction | None
    ) -> QuerySet[Case]:
        # A regional office picks a node and means everything below it too.
        if value is None:
            return queryset
        return queryset.filter(jurisdiction__path__startswith=value.path)

    @property
    def is_filtered(self) -> bool:
        return any(value not in (None, "") for value in self.form.cleaned_data.values())
