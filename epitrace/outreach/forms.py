from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from epitrace.jurisdictions.models import Jurisdiction
from epitrace.outreach.choices import Channel, Purpose, State


def _with_any(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("Any")), *choices]


class LogFilterForm(forms.Form):
    """The message log's filters; the address travels only in POST bodies (web/views/common.py)."""

    state = forms.ChoiceField(label=_("Status"), choices=_with_any(State.choices), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_with_any(Channel.choices), required=False
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=_with_any(Purpose.choices), required=False
    )
    jurisdiction = forms.TypedChoiceField(
        label=_("Jurisdiction"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Messages sent under this jurisdiction or one below it."),
    )
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    address = forms.CharField(label=_("Phone or email"), required=False, max_length=254, strip=True)

    def __init__(self, *args: Any, jurisdictions: Iterable[Jurisdiction] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["jurisdiction"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = _with_any([(j.pk, j.name) for j in jurisdictions])


class HandledForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=300, strip=True)
