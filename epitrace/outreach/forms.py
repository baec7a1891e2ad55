from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    address = forms.CharField(label=_("Phone or email"), required=False, max_length=254, strip=True)


class HandledForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=300, strip=True)
