"""The interview's widgets written in Python are Django's templates, character for character."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import ChoiceWidget
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils.safestring import mark_safe

from epitrace.interviews import forms as interview_forms
from epitrace.interviews import panels
from epitrace.interviews.forms import (
    ContactEditForm,
    ContactEntryForm,
    HouseholdMemberForm,
    InterviewForm,
    SettingForm,
)
from epitrace.interviews.questions import questions_of
from epitrace.interviews.rendering import FAST_RENDERER
from epitrace.interviews.tests.conftest import World

DJANGO = DjangoTemplates()
AWKWARD = 'Tom & "Jerry" <b>\'s'
EVERY_KIND = questions_of(
    [
        {"key": "vaccinated", "label": "Vaccinated?", "type": "boolean", "required": True},
        {"key": "where", "label": AWKWARD, "type": "choice", "choices": ["home", AWKWARD]},
        {
            "key": "symptoms",
            "label": "Which",
            "type": "multichoice",
            "choices": [{"value": "a", "label": "A & B"}, {"value": "<c>", "label": "C"}],
        },
        {"key": "doses", "label": "Doses", "type": "number", "help": "How many <doses>"},
        {"key": "since", "label": "Since", "type": "date"},
        {"key": "job", "label": "Job", "type": "text"},
        {"key": "story", "label": "Story", "type": "textarea"},
    ]
)


def fields_html(form: forms.BaseForm) -> list[str]:
    """Every field as the templates write it, and each option of the choice fields alone."""
    shown = []
    for field in form:
        shown.append(str(field))
        if isinstance(field.field.widget, ChoiceWidget):
            shown += [f"{option.tag()}|{option}" for option in field]
    return shown


def both(form_class: Any, *args: Any, **kwargs: Any) -> tuple[list[str], list[str]]:
    """The form's fields through Django's templates, and as the interview writes them."""
    fast = form_class(*args, **kwargs)
    assert fast.renderer is FAST_RENDERER
    slow = form_class(*args, **{**kwargs, "renderer": DJANGO})
    return fields_html(slow), fields_html(fast)


def test_a_widget_of_every_kind_is_written_as_the_templates_write_it() -> None:
    class Every(forms.Form):
        text = forms.CharField(
            widget=forms.TextInput(attrs={"data-x": AWKWARD, "autofocus": True, "hidden": False})
        )
        day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        tick = forms.BooleanField(required=False)
        pick = forms.ChoiceField(
            choices=[
                ("", "—"),
                ("x", AWKWARD),
                ("Group", [("1", "one"), ("2", mark_safe("<i>2</i>"))]),
            ]
        )
        ticks = forms.MultipleChoiceField(
            choices=[("a", "A&"), ("Group", [("b", "B")])],
            widget=forms.CheckboxSelectMultiple(attrs={"class": "k"}),
        )
        radio = forms.ChoiceField(choices=[("y", "Yes"), ("n", "No")], widget=forms.RadioSelect)
        note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
        hidden = forms.CharField(widget=forms.HiddenInput)
        count = forms.DecimalField()

    data = {
        "text": AWKWARD,
        "day": "2020-12-01",
        "tick": "on",
        "pick": "2",
        "ticks": ["a", "b"],
        "radio": "n",
        "note": f"first line\n{AWKWARD}",
        "hidden": AWKWARD,
        "count": "1.5",
    }
    for given in (None, data, {"count": "many"}):
        slow = fields_html(Every(given, renderer=DJANGO))
        assert fields_html(Every(given, renderer=FAST_RENDERER)) == slow


@pytest.mark.django_db
def test_the_interview_forms_are_written_as_the_templates_write_them(world: World) -> None:
    case, period = world.case, None
    options = {"case": case, "symptoms": [{"key": "cough", "label": "Cough"}]}
    initial = {"q_where": AWKWARD, "q_symptoms": ["<c>"], "notes": AWKWARD, "asymptomatic": True}
    slow, fast = both(InterviewForm, initial=initial, questions=EVERY_KIND, **options)
    assert fast == slow
    wrong = {"q_doses": "many", "identity_birth_date": "2999-01-01", "onset_date": "soon"}
    slow, fast = both(InterviewForm, wrong, questions=EVERY_KIND, complete=True, **options)
    assert fast == slow
    guardians = [("case", AWKWARD), ("r1", "Tim")]
    row = {"given_name": AWKWARD, "birth_date": "2015-03-01", "guardian": "r1"}
    slow, fast = both(HouseholdMemberForm, initial=row, key="r2", guardians=guardians)
    assert fast == slow
    slow, fast = both(SettingForm, {"settings-r3-name": AWKWARD}, key="r3", period=period)
    assert fast == slow
    slow, fast = both(ContactEntryForm, initial={"language": "es"}, period=period, focus=True)
    assert fast == slow
    slow, fast = both(ContactEditForm, instance=world.personas.a.exposure, period=period)
    assert fast == slow


_TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value="|data-csrf=")[^"]+')


@pytest.mark.django_db
def test_the_case_pages_panels_are_the_same_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = RequestFactory().get("/")
    request.user = world.tracer

    def panels_html() -> str:
        html = render_to_string(
            "web/includes/interview_panels.html",
            panels.case_panels(request, world.case),
            request=request,
        )
        return _TOKENS.sub(r"\1", html)

    fast = panels_html()
    for form_class in (interview_forms.DraftForm, ContactEntryForm, ContactEditForm):
        monkeypatch.setattr(form_class, "default_renderer", DJANGO)
    slow = panels_html()
    assert fast == slow
    assert 'data-autosave="answers.vaccinated"' in fast
