"""The interview sheet: every form of the interview, built from the stored draft.

Shown unbound (the draft's values as initial values, no error yet) while the
tracer works, and bound to the same values when they press "Complete
interview": then each form says which field is wrong, and the sheet lists
the problems at the top with links to the fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.forms import BaseForm
from django.utils.translation import gettext as _

from epitrace.cases.models import Case
from epitrace.diseases.rules import InfectiousPeriod
from epitrace.interviews import drafts
from epitrace.interviews.casedates import infectious_period_of
from epitrace.interviews.forms import (
    HouseholdMemberForm,
    InterviewForm,
    SettingForm,
    as_form_data,
)
from epitrace.interviews.models import Interview
from epitrace.interviews.questions import Question, answer_value
from epitrace.interviews.services import initial_data, profile_of, questions_for

BLANK_KEY = "__key__"  # the row template the page's script copies for a new row


@dataclass
class Problem:
    label: str
    message: str
    anchor: str


@dataclass
class InterviewSheet:
    case: Case
    interview: Interview | None
    data: dict[str, Any]
    period: InfectiousPeriod | None
    questions: list[Question]
    main: InterviewForm
    household: list[HouseholdMemberForm]
    settings: list[SettingForm]
    bound: bool

    @classmethod
    def build(
        cls, case: Case, interview: Interview | None, *, bound: bool = False
    ) -> InterviewSheet:
        data = interview.data if interview is not None else initial_data(case)
        profile = profile_of(case, interview)
        questions = questions_for(case, interview)
        period = infectious_period_of(case)
        names = InterviewForm.field_names(questions)
        options: dict[str, Any] = {
            "case": case,
            "symptoms": profile.symptoms if profile else [],
            "questions": questions,
            "complete": bound,
        }
        if bound:
            main = InterviewForm(as_form_data(data, names), **options)
        else:
            initial = {names[key]: drafts.value_of(data, key) for key in names}
            main = InterviewForm(initial=initial, **options)
        rows = data.get("household") or []
        guardians = household_guardians(case, rows)
        household = [
            _row(HouseholdMemberForm, row, bound, key=row["key"], guardians=guardians)
            for row in rows
        ]
        settings = [
            _row(SettingForm, row, bound, key=row["key"], period=period)
            for row in data.get("settings") or []
        ]
        return cls(case, interview, data, period, questions, main, household, settings, bound)

    @property
    def household_blank(self) -> HouseholdMemberForm:
        guardians = household_guardians(self.case, self.data.get("household") or [])
        return HouseholdMemberForm(key=BLANK_KEY, guardians=guardians)

    @property
    def settings_blank(self) -> SettingForm:
        return SettingForm(key=BLANK_KEY, period=self.period)

    @property
    def household_contacts(self) -> dict[str, int]:
        """Household row key -> the exposure its member was added as."""
        return dict(self.data.get("household_contacts") or {})

    def is_valid(self) -> bool:
        forms: list[BaseForm] = [self.main, *self.household, *self.settings]
        results = [form.is_valid() for form in forms]  # every form, so every error shows
        return all(results)

    def problems(self) -> list[Problem]:
        found = [_problems(self.main, "")]
        found += [
            _problems(f, _("Household member %(n)d: ") % {"n": i})
            for i, f in _numbered(self.household)
        ]
        found += [
            _problems(f, _("Setting %(n)d: ") % {"n": i}) for i, f in _numbered(self.settings)
        ]
        return [problem for group in found for problem in group]

    def cleaned_answers(self) -> dict[str, Any]:
        answers = {}
        for question in self.questions:
            value = answer_value(question, self.main.cleaned_data.get(question.field_name))
            if value is not None:
                answers[question.key] = value
        return answers


def household_guardians(case: Case, rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Who may be a minor's guardian: the case, or another household member."""
    choices = [("case", _("The case (%(name)s)") % {"name": case.person.full_name})]
    for row in rows:
        name = " ".join(part for part in (row.get("given_name"), row.get("family_name")) if part)
        choices.append((row["key"], name or _("(member without a name yet)")))
    return choices


def _row(form_class: Any, row: dict[str, Any], bound: bool, **kwargs: Any) -> Any:
    prefix = f"{'household' if form_class is HouseholdMemberForm else 'settings'}-{row['key']}"
    values = {column: row.get(column, "") for column in form_class.columns}
    if bound:
        return form_class({f"{prefix}-{k}": v for k, v in values.items()}, **kwargs)
    return form_class(initial=values, **kwargs)


def _numbered(forms: list[Any]) -> list[tuple[int, Any]]:
    return list(enumerate(forms, start=1))


def _problems(form: BaseForm, lead: str) -> list[Problem]:
    found = []
    for name, errors in form.errors.items():
        if name == "__all__":
            found += [Problem(lead.strip(" :"), str(e), "") for e in errors]
            continue
        bound = form[name]
        found += [Problem(f"{lead}{bound.label}", str(e), bound.auto_id) for e in errors]
    return found
