"""Forms of the profile screens: one field per parameter, and a new version's period.

The fields come from the parameter registry (rules/params.py), so the form
checks exactly what the engine will: a bad value is shown on its own field,
and values that contradict each other (a report window ending before it
opens) on the field to correct.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules.params import (
    SPECS,
    TEST_CLASSES,
    ParamSpec,
    ProfileError,
    RuleParameters,
)

YES_NO = [("true", _("Yes")), ("false", _("No"))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class ClassificationMapField(forms.Field):
    """``test class = classification`` lines <-> ``{"pcr": "confirmed"}``."""

    widget = forms.Textarea(attrs={"rows": 3})
    empty_values = [None, "", {}]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return "\n".join(f"{test} = {classification}" for test, classification in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, str] | None:
        text = str(value or "").strip()
        if not text:
            return None
        mapping: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            test, sep, classification = line.partition("=")
            if not sep or not test.strip() or not classification.strip():
                raise forms.ValidationError(
                    _('Line %(n)s: write "test class = classification".'), params={"n": number}
                )
            mapping[test.strip().lower()] = classification.strip().lower()
        return mapping


def _field(spec: ParamSpec) -> forms.Field:
    """The form field of one parameter; an empty nullable field means None."""
    help_text = spec.help
    if spec.nullable and spec.null_means:
        help_text = f"{help_text} {_('Leave empty')}: {spec.null_means}.".strip()
    common: dict[str, Any] = {"label": spec.label, "help_text": help_text}
    if spec.kind in ("days", "hours", "count"):
        return forms.IntegerField(
            required=not spec.nullable,
            min_value=spec.minimum,
            max_value=spec.maximum,
            **common,
        )
    if spec.kind == "bool":
        return forms.TypedChoiceField(
            choices=YES_NO, coerce=lambda v: v == "true", required=True, **common
        )
    if spec.kind == "test_classes":
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in TEST_CLASSES],
            widget=forms.CheckboxSelectMultiple,
            required=not spec.nullable,
            **common,
        )
    if spec.kind == "classification_map":
        return ClassificationMapField(required=not spec.nullable, **common)
    return forms.CharField(required=not spec.nullable, max_length=200, **common)


def _initial(spec: ParamSpec, value: Any) -> Any:
    if spec.kind == "bool" and isinstance(value, bool):
        return "true" if value else "false"
    return value


class ParameterForm(forms.Form):
    """Every parameter of a version: the engine's ones, and the others it already has.

    Parameters the registry does not know are kept as they are, untouched.
    """

    def __init__(
        self, current: Mapping[str, Any], *args: Any, key: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.current = dict(current)
        self.key = key
        self.specs = [s for s in SPECS if s.engine or s.name in self.current]
        for spec in self.specs:
            self.fields[spec.name] = _field(spec)
            self.initial.setdefault(spec.name, _initial(spec, self.current.get(spec.name)))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for spec in self.specs:
            if spec.name not in cleaned:
                continue  # the field has its own error already
            value = cleaned[spec.name]
            if spec.kind == "test_classes":
                value = list(value) or None
            try:
                cleaned[spec.name] = spec.check(value)
            except ValueError as exc:
                self.add_error(spec.name, str(exc))
        if not self.errors:
            self._check_together()
        return cleaned

    def _check_together(self) -> None:
        try:
            params = RuleParameters.each_checked(self.parameters(), key=self.key)
        except ProfileError as exc:  # a value the field checks let through
            self.add_error(None, str(exc))
            return
        if problem := params.inconsistency():
            name, why = problem
            self.add_error(name, why)

    def parameters(self) -> dict[str, Any]:
        """The version's parameters with the submitted values (unknown ones kept)."""
        values = dict(self.current)
        for spec in self.specs:
            value = self.cleaned_data[spec.name]
            values[spec.name] = list(value) if isinstance(value, tuple) else value
        return values

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        grouped: dict[str, list[forms.BoundField]] = {}
        for spec in self.specs:
            grouped.setdefault(spec.section, []).append(self[spec.name])
        return list(grouped.items())

    def others(self) -> dict[str, Any]:
        """Parameters of the version the registry does not describe (shown, not editable)."""
        return {k: v for k, v in self.current.items() if k not in self.fields}


class VersionForm(forms.Form):
    """When a new version takes effect, and how it is named."""

    effective_from = forms.DateField(
        label=_("Takes effect on"),
        widget=DateInput(),
        help_text=_(
            "Records dated from this day on use the new version; the version copied "
            "ends the day before."
        ),
    )
    key = forms.SlugField(
        label=_("Key"),
        max_length=64,
        help_text=_("Lowercase letters, digits and hyphens, e.g. covid-19-state-2021-06."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)

    @classmethod
    def initial_for(cls, source: DiseaseProfile, today: dt.date) -> dict[str, Any]:
        start = max(today, source.effective_from + dt.timedelta(days=1))
        if source.effective_to is not None:
            start = min(start, source.effective_to)
        return {
            "effective_from": start,
            "key": f"{source.key}-{start:%Y%m%d}"[:64],
            "title": _("%(title)s, from %(day)s") % {"title": source.title, "day": start},
        }

    def clean_key(self) -> str:
        key: str = self.cleaned_data["key"]
        if DiseaseProfile.objects.filter(key=key).exists():
            raise forms.ValidationError(_("Another version already has this key."))
        return key
