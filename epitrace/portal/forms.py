"""The portal's short forms, in the person's words rather than a tracer's.

Every field has a visible label tied to its input; a wrong field shows its
message next to it and in the summary at the top of the page (see
:func:`problems`). Dates use the browser's date picker (ISO values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from epitrace.interviews.casedates import PLAUSIBLE_DAYS_BEFORE_REPORT
from epitrace.interviews.forms import normalise_phone
from epitrace.portal import wording

MAX_AGE = 120


def date_field(label: Any, **kwargs: Any) -> forms.DateField:
    # An ISO value whatever the language: <input type=date> reads and writes nothing else.
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return forms.DateField(label=label, widget=widget, **kwargs)


class PortalForm(forms.Form):
    """Inputs described by their hint and error, and a ``kind`` the page lays out by."""

    use_required_attribute = False  # the server's messages, in the person's language

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "f-%s")
        super().__init__(*args, **kwargs)
        self.prepare()

    def prepare(self) -> None:
        # Never validate from here: the subclass may not have set its choices yet.
        errors = getattr(self, "_errors", None) or {}
        for name, field in self.fields.items():
            widget = field.widget
            field.portal_kind = _kind(widget)  # type: ignore[attr-defined]
            described = [f"f-{name}-hint"] if field.help_text else []
            if name in errors:
                described.append(f"f-{name}-error")
                widget.attrs["aria-invalid"] = "true"
            if described and field.portal_kind in ("input", "checkbox"):  # type: ignore[attr-defined]
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self) -> None:
        super().full_clean()
        self.prepare()


def _kind(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "multiple"
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    return "input"


@dataclass
class Problem:
    label: str
    message: str
    anchor: str


def problems(form: forms.Form) -> list[Problem]:
    """The form's errors as the summary lists them, each linking to its field."""
    found = []
    for name, errors in form.errors.items():
        if name == "__all__":
            found += [Problem("", str(e), "") for e in errors]
            continue
        bound = form[name]
        kind = getattr(form.fields[name], "portal_kind", "input")
        anchor = f"{bound.auto_id}_0" if kind in ("multiple", "radio") else bound.auto_id
        found += [Problem(str(bound.label), str(e), anchor) for e in errors]
    return found


def _not_future(day: dt.date | None, message: str) -> dt.date | None:
    if day and day > timezone.localdate():
        raise ValidationError(message)
    return day


def _phone(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    try:
        return normalise_phone(text)
    except ValidationError:
        raise ValidationError(
            gettext("Type the phone number with its area code, for example 860 555 0123.")
        ) from None


class SymptomsForm(PortalForm):
    symptoms = forms.MultipleChoiceField(
        label=_("Which of these have you had?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    no_symptoms = forms.BooleanField(label=_("I have not had any symptoms"), required=False)
    onset_date = date_field(
        _("When did your first symptom start?"),
        required=False,
        help_text=_("If you are not sure, give your best guess."),
    )

    def __init__(
        self, *args: Any, symptoms: Sequence[Mapping[str, Any]], report_date: dt.date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.report_date = report_date
        listed = self.fields["symptoms"]
        assert isinstance(listed, forms.MultipleChoiceField)
        listed.choices = [(str(s["key"]), wording.symptom(s)) for s in symptoms if s.get("key")]

    def clean_onset_date(self) -> dt.date | None:
        onset = _not_future(
            self.cleaned_data.get("onset_date"), gettext("This date cannot be in the future.")
        )
        earliest = self.report_date - dt.timedelta(days=PLAUSIBLE_DAYS_BEFORE_REPORT)
        if onset and onset < earliest:
            raise ValidationError(gettext("Check the year of this date."))
        return onset

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("no_symptoms"):
            if data.get("symptoms"):
                self.add_error(
                    "no_symptoms",
                    gettext("You ticked symptoms above: untick them, or untick this box."),
                )
        elif "onset_date" not in self.errors and not data.get("onset_date"):
            self.add_error(
                "onset_date",
                gettext(
                    "Give the day your first symptom started, "
                    "or tick “I have not had any symptoms”."
                ),
            )
        return data


class HouseholdMemberForm(PortalForm):
    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100)
    birth_date = date_field(_("Date of birth"), required=False)
    age = forms.IntegerField(
        label=_("Or age in years"),
        required=False,
        min_value=0,
        max_value=MAX_AGE,
        help_text=_("If you do not know the date of birth."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone (optional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )

    def clean_birth_date(self) -> dt.date | None:
        return _not_future(
            self.cleaned_data.get("birth_date"), gettext("This date cannot be in the future.")
        )

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not data.get("birth_date")
            and data.get("age") is None
            and not self.has_error("birth_date")
            and not self.has_error("age")
        ):
            self.add_error("birth_date", gettext("Give the date of birth, or the age."))
        return data


class SettingForm(PortalForm):
    type = forms.ChoiceField(label=_("What kind of place"), choices=())
    name = forms.CharField(
        label=_("Name of the place"),
        max_length=200,
        help_text=_("For example the name of the school, the employer or the event."),
    )
    date = date_field(_("Last day you were there"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = self.fields["type"]
        assert isinstance(kinds, forms.ChoiceField)
        kinds.choices = [("", gettext("Choose…")), *wording.place_choices()]

    def clean_date(self) -> dt.date | None:
        return _not_future(
            self.cleaned_data.get("date"), gettext("This date cannot be in the future.")
        )


class ContactForm(PortalForm):
    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100)
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        required=False,
        help_text=_("If you know it. We will let them know without saying who gave their name."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    relation = forms.ChoiceField(label=_("Who is this person to you?"), choices=())
    setting = forms.ChoiceField(label=_("Where were you together?"), choices=())
    last_exposure_date = date_field(_("Last day you were together"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("relation", wording.relation_choices()),
            ("setting", wording.setting_choices()),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", gettext("Choose…")), *choices]

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data.get("phone", ""))

    def clean_last_exposure_date(self) -> dt.date | None:
        return _not_future(
            self.cleaned_data.get("last_exposure_date"),
            gettext("This date cannot be in the future."),
        )


class NeedsForm(PortalForm):
    needs = forms.MultipleChoiceField(
        label=_("Do you need help with any of these while you stay at home?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.BooleanField(
        label=_(
            "Yes, I agree that the health department shares my name, phone number, language "
            "and these needs with a community organisation that can help me."
        ),
        required=False,
    )
    needs_note = forms.CharField(
        label=_("Anything else we should know (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        needs = self.fields["needs"]
        assert isinstance(needs, forms.MultipleChoiceField)
        needs.choices = wording.need_choices()
