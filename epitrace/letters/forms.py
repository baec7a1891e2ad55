"""The template editor's form: wording checked against the placeholders and the fonts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epitrace.letters import placeholders
from epitrace.letters.fonts import describe, missing_characters, normalise
from epitrace.letters.models import LetterTemplate

BODY_HELP = gettext_lazy(
    "Leave a blank line between paragraphs. Start a line with “- ” for a bullet point. "
    "Write placeholders in braces, such as {person_name}."
)


class TemplateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Letter text"),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        help_text=BODY_HELP,
    )
    note = forms.CharField(
        label=gettext_lazy("What changed"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Shown in the history."),
    )
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, template: LetterTemplate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        self.fields["body"].widget.attrs["lang"] = template.language
        self.fields["title"].widget.attrs["lang"] = template.language
        if template.language == "ar":
            self.fields["body"].widget.attrs["dir"] = "rtl"
            self.fields["title"].widget.attrs["dir"] = "rtl"

    def clean_title(self) -> str:
        return self._checked(self.cleaned_data["title"])

    def clean_body(self) -> str:
        return self._checked(self.cleaned_data["body"].replace("\r\n", "\n"))

    def _checked(self, text: str) -> str:
        text = normalise(text.strip())
        errors = placeholders.problems(text, self.template.kind)
        missing = missing_characters([text])
        if missing:
            errors.append(
                _("The letter fonts cannot print these characters: %(chars)s.")
                % {"chars": describe(missing)}
            )
        if errors:
            raise ValidationError(errors)
        return text
