"""Forms for sharing, transferring and break-glass access."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from epitrace.jurisdictions.models import Jurisdiction

REASON = forms.CharField(
    label=_("Reason"),
    min_length=10,
    max_length=1000,
    widget=forms.Textarea(attrs={"rows": 2}),
    help_text=_("Recorded in the audit log and shown to the record's jurisdiction."),
)


class _ToJurisdictionForm(forms.Form):
    jurisdiction = forms.ModelChoiceField(
        label=_("Jurisdiction"), queryset=Jurisdiction.objects.none()
    )
    reason = REASON

    def __init__(self, *args: Any, current: Jurisdiction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any local health department but the record's own; the state sees all already.
        field = self.fields["jurisdiction"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Jurisdiction.objects.filter(parent__isnull=False)
            .exclude(pk=current.pk)
            .order_by("name")
        )


class ShareForm(_ToJurisdictionForm):
    prefix = "share"


class TransferForm(_ToJurisdictionForm):
    prefix = "transfer"


class BreakGlassForm(forms.Form):
    record = forms.CharField(
        label=_("Person number or case number"),
        max_length=20,
        help_text=_('A person number ("12345") or a case number ("C-0001234").'),
    )
    reason = REASON

    def clean_record(self) -> str:
        return str(self.cleaned_data["record"]).strip().upper()
