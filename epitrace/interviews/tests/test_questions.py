"""A profile's interview questions as form fields, and their answers as stored values."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from epitrace.interviews.questions import answer_value, form_field, questions_of

QUESTIONS = [
    {"key": "hcw", "type": "boolean", "label": "Works in health care", "required": True},
    {"key": "mmr", "type": "choice", "label": "MMR doses", "choices": ["0", "1", "2"]},
    {
        "key": "where",
        "type": "multichoice",
        "label": "Where",
        "choices": [{"value": "gym", "label": "A gym"}, "church_hall"],
    },
    {"key": "people", "type": "number", "label": "People at the event"},
    {"key": "back", "type": "date", "label": "Back from travel on"},
    {"key": "story", "type": "textarea", "label": "What happened"},
    {"key": "odd", "type": "slider", "label": "A type this screen does not know"},
    {"label": "no key: skipped"},
]


def test_every_type_is_asked_with_its_own_field() -> None:
    questions = questions_of(QUESTIONS)
    assert [q.key for q in questions] == ["hcw", "mmr", "where", "people", "back", "story", "odd"]
    fields = {q.key: form_field(q) for q in questions}
    assert isinstance(fields["hcw"].widget, forms.RadioSelect)
    assert isinstance(fields["mmr"], forms.ChoiceField)
    assert isinstance(fields["where"].widget, forms.CheckboxSelectMultiple)
    assert isinstance(fields["people"], forms.DecimalField)
    assert isinstance(fields["back"], forms.DateField)
    assert isinstance(fields["story"].widget, forms.Textarea)
    assert isinstance(fields["odd"], forms.CharField)  # asked as text
    assert questions[0].required
    assert questions[2].choices == (("gym", "A gym"), ("church_hall", "Church hall"))


@pytest.mark.parametrize(
    ("key", "raw", "stored"),
    [
        ("hcw", "yes", True),
        ("hcw", "no", False),
        ("hcw", "", None),
        ("mmr", "2", "2"),
        ("where", ["gym", "church_hall"], ["gym", "church_hall"]),
        ("people", "12", 12),
        ("people", "2.5", 2.5),
        ("back", "2020-11-30", "2020-11-30"),
        ("story", "A wedding", "A wedding"),
    ],
)
def test_answers_are_stored_typed(key: str, raw: Any, stored: Any) -> None:
    question = next(q for q in questions_of(QUESTIONS) if q.key == key)
    assert answer_value(question, form_field(question).clean(raw)) == stored


def test_a_choice_not_offered_is_refused() -> None:
    question = next(q for q in questions_of(QUESTIONS) if q.key == "mmr")
    with pytest.raises(forms.ValidationError):
        form_field(question).clean("3")
