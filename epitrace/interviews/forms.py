"""The interview's forms: the draft shown and validated, contact entry, call attempts.

The interview form is rendered from the stored draft (unbound, the values as
typed) and validated from it when the tracer completes the interview: every
field is optional while drafting, and ``complete=True`` adds what a finished
interview must hold. Household members and settings are rows, each its own
small form keyed by the row's key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from epitrace.cases.models import Case
from epitrace.contacts.choices import Proximity, Relation, Setting
from epitrace.contacts.models import Exposure
from epitrace.diseases.rules import InfectiousPeriod
from epitrace.interviews import drafts
from epitrace.interviews.casedates import onset_problem
from epitrace.interviews.choices import CallOutcome, Consent, IdentityMethod, Need
from epitrace.interviews.questions import Question, form_field
from epitrace.interviews.rendering import FAST_RENDERER
from epitrace.people.choices import LANGUAGES

PHONE_REGION = "US"
ADULT_AGE = 18
DATE = {"type": "date"}


def _date_field(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs=DATE), **kwargs)


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def as_form_data(values: Mapping[str, Any], names: Mapping[str, str]) -> MultiValueDict[str, Any]:
    """Draft values as submitted form data; ``names`` maps draft keys to field names."""
    data: MultiValueDict[str, Any] = MultiValueDict()
    for key, name in names.items():
        value = drafts.value_of(values, key)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        elif value is not None:
            data[name] = str(value)
    return data


class DraftForm(forms.Form):
    """A form whose fields autosave: each input names its draft key for the page's script."""

    default_renderer = FAST_RENDERER
    use_required_attribute = False  # the browser must not block autosave or completion

    def mark_autosave(self, names: Mapping[str, str]) -> None:
        for key, name in names.items():
            widget = self.fields[name].widget
            widget.attrs["data-autosave"] = key
            widget.attrs["data-autosave-kind"] = _kind(widget)


def _kind(widget: forms.Widget) -> str:
    """How the page's script reads a field: a list of ticks, a tick, a radio, or text."""
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "list"
    if isinstance(widget, forms.CheckboxInput):
        return "bool"
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    return "text"


class InterviewForm(DraftForm):
    identity_name = forms.CharField(label=_lazy("Name as confirmed"), max_length=200)
    identity_birth_date = _date_field(_lazy("Date of birth as confirmed"))
    identity_method = forms.ChoiceField(
        label=_lazy("How the identity was checked"),
        choices=[("", "—"), *IdentityMethod.choices],
    )
    asymptomatic = forms.BooleanField(label=_lazy("No symptoms (asymptomatic)"), required=False)
    onset_date = _date_field(_lazy("Symptom onset date"), required=False)
    symptoms = forms.MultipleChoiceField(
        label=_lazy("Symptoms"), required=False, widget=forms.CheckboxSelectMultiple
    )
    isolating_at_home = forms.BooleanField(label=_lazy("Isolating at home"), required=False)
    isolation_address = forms.CharField(
        label=_lazy("Isolation address (when not at home)"), max_length=300, required=False
    )
    needs = forms.MultipleChoiceField(
        label=_lazy("What they need help with while isolating"),
        choices=Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    needs_consent = forms.ChoiceField(
        label=_lazy("Consent to a referral to a community organisation"),
        choices=Consent.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    needs_note = forms.CharField(
        label=_lazy("About the needs"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(
        label=_lazy("Notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        case: Case,
        symptoms: Sequence[Mapping[str, Any]],
        questions: Sequence[Question],
        complete: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case, self.questions, self.complete = case, list(questions), complete
        listed = self.fields["symptoms"]
        assert isinstance(listed, forms.ChoiceField)
        listed.choices = [
            (str(s.get("key")), str(s.get("label") or s.get("key"))) for s in symptoms
        ]
        for question in self.questions:
            self.fields[question.field_name] = form_field(question)
        for name in ("identity_name", "identity_birth_date", "identity_method"):
            self.fields[name].required = complete
        self.mark_autosave(self.names())

    @classmethod
    def field_names(cls, questions: Sequence[Question]) -> dict[str, str]:
        """Draft key -> form field name, for every field of the interview form."""
        names = {key: key for key in (*drafts.TEXT_LIMITS, *drafts.BOOLEANS, *drafts.LISTS)}
        names.update({q.draft_key: q.field_name for q in questions})
        return names

    def names(self) -> dict[str, str]:
        return self.field_names(self.questions)

    @property
    def question_fields(self) -> list[forms.BoundField]:
        return [self[q.field_name] for q in self.questions]

    def clean_identity_birth_date(self) -> dt.date | None:
        born: dt.date | None = self.cleaned_data.get("identity_birth_date")
        if born and born > timezone.localdate():
            raise ValidationError(_("A date of birth cannot be in the future."))
        return born

    def clean_onset_date(self) -> dt.date | None:
        onset: dt.date | None = self.cleaned_data.get("onset_date")
        if onset and (problem := onset_problem(self.case, onset)):
            raise ValidationError(problem)
        return onset

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.complete:
            return data
        if data.get("asymptomatic"):
            if data.get("symptoms"):
                self.add_error("symptoms", _("An asymptomatic case has no symptoms."))
        elif not data.get("onset_date") and "onset_date" not in self.errors:
            self.add_error("onset_date", _("Give the onset date, or tick “No symptoms”."))
        if not data.get("isolating_at_home") and not data.get("isolation_address", "").strip():
            self.add_error("isolation_address", _("Where is the person isolating?"))
        if data.get("needs") and not data.get("needs_consent"):
            self.add_error("needs_consent", _("Ask whether they agree to a referral."))
        for question in self.questions:
            if question.required and data.get(question.field_name) in (None, "", []):
                self.add_error(question.field_name, _("This question needs an answer."))
        return data


class HouseholdMemberForm(DraftForm):
    """One person living with the case."""

    given_name = forms.CharField(label=_lazy("Given name"), max_length=100)
    family_name = forms.CharField(label=_lazy("Family name"), max_length=100)
    birth_date = _date_field(_lazy("Birth date"), required=False)
    relation = forms.CharField(
        label=_lazy("Relation to the case"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"list": "household-relations"}),
    )
    guardian = forms.ChoiceField(label=_lazy("Parent or guardian (minors)"), required=False)

    columns = drafts.ROWS["household"]

    def __init__(
        self, *args: Any, key: str, guardians: Sequence[tuple[str, str]], **kwargs: Any
    ) -> None:
        kwargs["prefix"] = f"household-{key}"
        super().__init__(*args, **kwargs)
        self.key = key
        guardian = self.fields["guardian"]
        assert isinstance(guardian, forms.ChoiceField)
        guardian.choices = [("", "—"), *[g for g in guardians if g[0] != key]]
        for column in self.columns:
            self.fields[column].widget.attrs["data-col"] = column

    def clean_birth_date(self) -> dt.date | None:
        born: dt.date | None = self.cleaned_data.get("birth_date")
        if born and born > timezone.localdate():
            raise ValidationError(_("A date of birth cannot be in the future."))
        return born

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        born = data.get("birth_date")
        minor = born is not None and age_on(born, timezone.localdate()) < ADULT_AGE
        if minor and not data.get("guardian"):
            self.add_error("guardian", _("A minor needs a parent or guardian."))
        return data


class SettingForm(DraftForm):
    """A place the case attended while infectious (a school, a workplace...)."""

    type = forms.ChoiceField(label=_lazy("Type"), choices=[("", "—"), *Setting.choices])
    name = forms.CharField(label=_lazy("Name"), max_length=200)
    address = forms.CharField(label=_lazy("Address or town"), max_length=300, required=False)
    first_date = _date_field(_lazy("From"), required=False)
    last_date = _date_field(_lazy("To"))

    columns = drafts.ROWS["settings"]

    def __init__(self, *args: Any, key: str, period: InfectiousPeriod | None, **kwargs: Any):
        kwargs["prefix"] = f"settings-{key}"
        super().__init__(*args, **kwargs)
        self.key, self.period = key, period
        for column in self.columns:
            self.fields[column].widget.attrs["data-col"] = column

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_date"), data.get("last_date")
        if first and last and first > last:
            self.add_error("first_date", _("“From” must not be after “To”."))
        elif last and self.period and not _overlaps(first or last, last, self.period):
            self.add_error("last_date", _outside(self.period))
        return data


def _in_period(day: dt.date, period: InfectiousPeriod, *, ongoing: bool) -> bool:
    """Within the infectious period; an ongoing exposure may run past its end (the rules
    then count the quarantine from the end of the case's isolation)."""
    if day < period.start:
        return False
    return ongoing or period.end is None or day <= period.end


def _overlaps(first: dt.date, last: dt.date, period: InfectiousPeriod) -> bool:
    return last >= period.start and (period.end is None or first <= period.end)


def _outside(period: InfectiousPeriod) -> str:
    end = period.end.isoformat() if period.end else _("not decided yet")
    return _("Outside the infectious period (%(start)s to %(end)s).") % {
        "start": period.start.isoformat(),
        "end": end,
    }


def normalise_phone(text: str) -> str:
    """The E.164 form of a typed number, or a ValidationError that says what to type."""
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(text)s” is not a phone number: type 10 digits, or + and the country code.")
            % {"text": text}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_exposure(form: forms.BaseForm, period: InfectiousPeriod | None) -> None:
    """The exposure dates against today and the case's infectious period."""
    data = form.cleaned_data
    last = data.get("last_exposure_date")
    ongoing = bool(data.get("ongoing"))
    household = Setting.HOUSEHOLD in (data.get("setting"), data.get("relation"))
    if ongoing and not household:
        form.add_error("ongoing", _("Only a household contact can still be exposed."))
    if last is None:
        return
    if last > timezone.localdate():
        form.add_error("last_exposure_date", _("The last exposure cannot be in the future."))
    elif period and not _in_period(last, period, ongoing=ongoing):
        form.add_error("last_exposure_date", _outside(period))
    first = data.get("first_exposure_date")
    if first and first > last:
        form.add_error("first_exposure_date", _("Must not be after the last exposure."))


class ContactEntryForm(forms.Form):
    """The quick entry row: a contact in a few keystrokes, several in a row."""

    given_name = forms.CharField(label=_lazy("Given name"), max_length=100)
    family_name = forms.CharField(label=_lazy("Family name"), max_length=100)
    phone = forms.CharField(label=_lazy("Phone"), max_length=40, required=False)
    relation = forms.ChoiceField(label=_lazy("Relation"), choices=Relation.choices)
    last_exposure_date = _date_field(_lazy("Last exposure"))
    setting = forms.ChoiceField(label=_lazy("Setting"), choices=Setting.choices)
    ongoing = forms.BooleanField(label=_lazy("Lives with the case (ongoing)"), required=False)
    birth_date = _date_field(_lazy("Birth date"), required=False)
    language = forms.ChoiceField(label=_lazy("Language"), choices=LANGUAGES, initial="en")
    street = forms.CharField(label=_lazy("Street"), max_length=200, required=False)
    city = forms.CharField(label=_lazy("Town"), max_length=100, required=False)
    postcode = forms.CharField(label=_lazy("ZIP"), max_length=10, required=False)
    state = forms.CharField(
        label=_lazy("State (if another)"),
        max_length=2,
        required=False,
        widget=forms.TextInput(attrs={"size": 2}),
    )
    # Set by the buttons of the "possibly the same person" question.
    decision = forms.CharField(required=False, widget=forms.HiddenInput)
    # The interview's household row this entry finishes, if any.
    household_row = forms.CharField(required=False, max_length=24, widget=forms.HiddenInput)

    default_renderer = FAST_RENDERER
    use_required_attribute = False

    def __init__(
        self, *args: Any, period: InfectiousPeriod | None, focus: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.period = period
        # "c" jumps to a new contact from anywhere on the page (interview.js).
        name = self.fields["given_name"].widget.attrs
        name.update({"data-shortcut": "c", "aria-keyshortcuts": "c"})
        if focus:
            name["autofocus"] = True  # the next contact, right after the last one

    def clean_phone(self) -> str:
        text = self.cleaned_data.get("phone", "").strip()
        return normalise_phone(text) if text else ""

    def clean_birth_date(self) -> dt.date | None:
        born: dt.date | None = self.cleaned_data.get("birth_date")
        if born and born > timezone.localdate():
            raise ValidationError(_("A date of birth cannot be in the future."))
        return born

    def clean_state(self) -> str:
        state: str = self.cleaned_data.get("state", "").strip().upper()
        if state and not (len(state) == 2 and state.isalpha()):
            raise ValidationError(_("Two letters, e.g. NY."))
        return state

    def clean_decision(self) -> str:
        decision: str = self.cleaned_data.get("decision", "")
        if decision and decision != "new" and not decision.removeprefix("person:").isdigit():
            raise ValidationError(_("Choose the person again."))
        return decision

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_exposure(self, self.period)
        return data


class ContactEditForm(forms.ModelForm):
    """What the tracer may correct about an elicited contact's exposure."""

    default_renderer = FAST_RENDERER
    use_required_attribute = False

    class Meta:
        model = Exposure
        fields = [
            "relation",
            "setting",
            "proximity",
            "first_exposure_date",
            "last_exposure_date",
            "ongoing",
        ]
        widgets = {
            "first_exposure_date": forms.DateInput(attrs=DATE),
            "last_exposure_date": forms.DateInput(attrs=DATE),
        }

    def __init__(self, *args: Any, period: InfectiousPeriod | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.period = period
        proximity = self.fields["proximity"]
        assert isinstance(proximity, forms.ChoiceField)
        proximity.choices = Proximity.choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_exposure(self, self.period)
        return data


class CallAttemptForm(forms.Form):
    outcome = forms.ChoiceField(choices=CallOutcome.choices)
    note = forms.CharField(max_length=300, required=False)
