"""Forms of the lab screens: the errors filter, the correction, the export."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epitrace.labs.choices import MessageFormat, MessageState
from epitrace.labs.models import RawMessage
from epitrace.web.filters import DateInput

# The sources the importers write, with the labels staff read. A source not
# listed here (a new feed) is still offered, under its stored name.
KNOWN_SOURCES: dict[str, Any] = {
    "file": _("File"),
    "mllp": _("MLLP"),
    "api": _("API"),
    "drop folder": _("Drop folder"),
    "reprocess": _("Reprocess"),
}


def source_choices(rejected: QuerySet[RawMessage]) -> list[tuple[str, Any]]:
    """The known sources, and any other source a visible rejected message names."""
    present = set(rejected.order_by().values_list("source", flat=True).distinct())
    others = sorted(present - set(KNOWN_SOURCES))
    return [*KNOWN_SOURCES.items(), *((name, name) for name in others)]


def rejected_messages(user: Any) -> QuerySet[RawMessage]:
    """The rejected messages ``user`` may see (none below the state: they have no jurisdiction)."""
    return RawMessage.objects.restrict(user, "view").filter(state=MessageState.REJECTED)


class ErrorFilter(django_filters.FilterSet):
    """Filters of the errors screen; none of them is personal, so they travel in the URL."""

    reason = django_filters.CharFilter(
        label=_("Reason"),
        field_name="error",
        lookup_expr="icontains",
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_('Part of the reason, e.g. "MSH-9" or "no patient"'),
    )
    source = django_filters.ChoiceFilter(label=_("Source"), empty_label=_("Any source"))
    format = django_filters.ChoiceFilter(
        label=_("Format"), choices=MessageFormat.choices, empty_label=_("Any format")
    )
    received_from = django_filters.DateFilter(
        label=_("Received from"),
        field_name="received_at",
        method="filter_received_from",
        widget=DateInput(),
    )
    received_to = django_filters.DateFilter(
        label=_("Received to"),
        field_name="received_at",
        method="filter_received_to",
        widget=DateInput(),
    )

    class Meta:
        model = RawMessage
        fields: list[str] = []

    def __init__(self, data: Any = None, queryset: Any = None, **kwargs: Any) -> None:
        super().__init__(data, queryset=queryset, **kwargs)
        self.filters["source"].extra["choices"] = source_choices(self.queryset)

    def filter_received_from(
        self, queryset: QuerySet[RawMessage], name: str, value: dt.date
    ) -> QuerySet[RawMessage]:
        return queryset.filter(received_at__gte=start_of(value))

    def filter_received_to(
        self, queryset: QuerySet[RawMessage], name: str, value: dt.date
    ) -> QuerySet[RawMessage]:
        return queryset.filter(received_at__lt=start_of(value + dt.timedelta(days=1)))

    @property
    def is_filtered(self) -> bool:
        data = getattr(self.form, "cleaned_data", {})
        return any(value not in (None, "") for value in data.values())


def start_of(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the installation's time zone, the day staff mean."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class CorrectionForm(forms.Form):
    """The corrected text of a rejected message, sent through the importer again."""

    content = forms.CharField(
        label=_("Corrected message"),
        # The message must reach the parser exactly as typed: no trimming.
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 16, "spellcheck": "false", "autocomplete": "off", "wrap": "off"}
        ),
        help_text=_("Edit the message, then save: it goes through the importer again."),
    )

    def clean_content(self) -> str:
        text = str(self.cleaned_data["content"])
        if not text.strip():
            raise forms.ValidationError(_("The message cannot be empty."))
        return text


class ExportForm(forms.Form):
    """What to export: the format and, optionally, only results imported since a day."""

    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", _("CSV (spreadsheet)")), ("json", _("JSON"))],
        initial="csv",
    )
    since = forms.DateField(
        label=_("Imported since"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for every result you may see."),
    )

    def since_moment(self) -> dt.datetime | None:
        """The start of the chosen day, as the command line reads ``--since``."""
        day = self.cleaned_data.get("since")
        return start_of(day) if day else None
