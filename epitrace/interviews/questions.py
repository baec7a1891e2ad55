"""A disease profile's interview questions as form fields, and their answers as values.

``DiseaseProfile.questions`` is a list of dicts: ``key``, ``label``, ``type``
and, by type, ``choices`` (strings, or ``{"value", "label"}`` dicts);
``required`` and ``help`` are optional. Types:

- ``boolean``: yes / no, stored as ``true`` / ``false``
- ``choice``: one of ``choices``; ``multichoice``: several of them (a list)
- ``text``, ``textarea``: text; ``number``: a number; ``date``: an ISO date

Answers are stored keyed by question key, typed, with the profile version
they were asked under (``Interview.profile``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
TEXT_TYPES = ("text", "textarea")
KNOWN_TYPES = ("boolean", "choice", "multichoice", "number", "date", *TEXT_TYPES)


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    type: str
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    help: str = ""

    @property
    def draft_key(self) -> str:
        return f"answers.{self.key}"

    @property
    def field_name(self) -> str:
        return f"q_{self.key}"

    @property
    def multiple(self) -> bool:
        return self.type == "multichoice"


def questions_of(raw: Sequence[Any] | None) -> list[Question]:
    """The usable questions of a profile; an entry without a key is skipped (and logged)."""
    found: list[Question] = []
    for entry in raw or ():
        if not isinstance(entry, Mapping) or not str(entry.get("key", "")).strip():
            logger.warning("interview question without a key skipped")
            continue
        kind = str(entry.get("type") or "text")
        if kind not in KNOWN_TYPES:
            # A profile may grow types this screen does not know yet: asked as text.
            logger.warning("interview question type %r shown as text", kind)
            kind = "text"
        found.append(
            Question(
                key=str(entry["key"]).strip(),
                label=str(entry.get("label") or entry["key"]),
                type=kind,
                choices=tuple(_choice(c) for c in entry.get("choices") or ()),
                required=bool(entry.get("required", False)),
                help=str(entry.get("help") or ""),
            )
        )
    return found


def _choice(raw: Any) -> tuple[str, str]:
    if isinstance(raw, Mapping):
        value = str(raw.get("value", ""))
        return value, str(raw.get("label") or value)
    value = str(raw)
    return value, value.replace("_", " ").capitalize()


def form_field(question: Question) -> forms.Field:
    """The form field asking ``question`` (never required while a draft: see clean_answers)."""
    hint = question.help or (_("Needed to complete the interview.") if question.required else "")
    common: dict[str, Any] = {"label": question.label, "required": False, "help_text": hint}
    if question.type == "boolean":
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    if question.type == "choice":
        options = [("", "—"), *question.choices]
        return forms.ChoiceField(choices=options, **common)
    if question.type == "multichoice":
        return forms.MultipleChoiceField(
            choices=question.choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if question.type == "number":
        return forms.DecimalField(**common)
    if question.type == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if question.type == "textarea":
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), **common)
    return forms.CharField(max_length=500, **common)


def answer_value(question: Question, cleaned: Any) -> Any:
    """A cleaned form value as stored in ``Interview.answers``; None when unanswered."""
    if cleaned in (None, "", [], ()):
        return None
    if question.type == "boolean":
        return cleaned == "yes"
    if question.type == "number":
        number = float(cleaned)
        return int(number) if number.is_integer() else number
    if isinstance(cleaned, dt.date):
        return cleaned.isoformat()
    if question.multiple:
        return list(cleaned)
    return cleaned
