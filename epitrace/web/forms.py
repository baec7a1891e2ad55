"""Forms of the staff pages that are not filter sets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from epitrace.people.models import ContactWindow
from epitrace.web.filters import DateInput
from epitrace.web.search import normalise_phone


class PersonSearchForm(forms.Form):
    """Find a person by name, birth date or phone; at least one is needed."""

    q = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Family, given"),
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
        help_text=_('"Silva", "Ana Sil" or "Silva, Ana"'),
    )
    born = forms.DateField(label=_("Birth date"), required=False, widget=DateInput())
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("Any format, e.g. (860) 555-0101"),
    )

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"]).strip()

    def clean_phone(self) -> str:
        """The number in E.164, the form contact points are stored in."""
        text = str(self.cleaned_data["phone"]).strip()
        if not text:
            return ""
        number = normalise_phone(text)
        if number is None:
            raise forms.ValidationError(_("This does not look like a phone number."))
        return number

    def has_criteria(self) -> bool:
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in ("q", "born", "phone"))


class ContactWindowForm(forms.Form):
    """The part of the day a person is messaged in (daily check-ins, reminders)."""

    contact_window = forms.ChoiceField(
        label=_("Best time to reach"),
        choices=ContactWindow.choices,
        help_text=_("Automatic messages go out in this part of the person's local day."),
    )
