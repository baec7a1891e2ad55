"""The wording editor's form: the same checks as the service, shown on the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from epitrace.outreach.choices import Channel
from epitrace.wording.checks import problems

BODY_HELP = _(
    "Write placeholders in double braces, such as {{ link }}; wrap optional parts in "
    "{% if link %} … {% endif %}. Nothing else is interpreted."
)


class WordingForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "true"}),
        help_text=BODY_HELP,
        max_length=5000,
    )

    def __init__(self, *args: Any, channel: str, template: str, language: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.channel, self.template = channel, template
        for name in ("subject", "body"):
            self.fields[name].widget.attrs["lang"] = language
        if channel == Channel.SMS:
            del self.fields["subject"]
            self.fields["body"].widget.attrs["rows"] = 4
        else:
            self.fields["subject"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "body" in data:
            body = data["body"].replace("\r\n", "\n").strip()
            found = problems(self.channel, self.template, data.get("subject", ""), body)
            for error in found.errors:
                self.add_error("body", error)
        return data
