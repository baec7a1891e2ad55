"""What the case page and the interview's fragments show: one builder for both.

The case page fetches the interview and the contacts right after its first
paint (``views.case_panels``); the interview's own views re-render parts of
them after a change. A fixed number of queries,
whatever the number of attempts, household members or contacts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from epitrace.accounts.scope import has_capability
from epitrace.cases.models import Case
from epitrace.contacts.choices import Relation, Setting
from epitrace.contacts.models import Exposure
from epitrace.diseases.rules import InfectiousPeriod
from epitrace.interviews.choices import CallOutcome
from epitrace.interviews.forms import ContactEntryForm
from epitrace.interviews.models import CallAttempt, Interview
from epitrace.interviews.sheet import InterviewSheet

if TYPE_CHECKING:
    from epitrace.web.views.common import ExposureRow

ATTEMPTS_SHOWN = 20
# One key each (interview.js, when the tracer is not typing in a field): the
# call outcomes by number in the order they are shown ("c", a new contact, is
# set on the entry form's first field).
OUTCOME_KEYS = {
    CallOutcome.NO_ANSWER: "1",
    CallOutcome.VOICEMAIL: "2",
    CallOutcome.WRONG_NUMBER: "3",
    CallOutcome.REFUSED: "4",
    CallOutcome.COMPLETED: "5",
}
# Sticky between entries: several contacts from one setting are entered in a row.
STICKY = ("relation", "setting", "last_exposure_date")


def can_change(request: HttpRequest) -> bool:
    """Whether the page offers editing (the writes check the case's own scope).

    From the memberships the request's restricted lookups already read: the
    panels come without the page's menu, so no query of their own.
    """
    return has_capability(request.user, "interviews.change_interview")


# The case reaching these functions comes from the user's restricted queryset
# (the view's lookup, for view or change); its interview and calls are the
# case's own (their scope_q is the case's), so they are read by case, without
# asking the user's scope a second and third time on every case page.


def interview_of(case: Case) -> Interview | None:
    return Interview.objects.filter(case=case).select_related("profile", "completed_by").first()


def attempts_of(case: Case) -> list[CallAttempt]:
    return list(
        CallAttempt.objects.filter(case=case).select_related("attempted_by")[:ATTEMPTS_SHOWN]
    )


def elicited_rows(request: HttpRequest, case: Case) -> list[ExposureRow]:
    # Imported here: the case page's module imports this one.
    from epitrace.web.views.common import exposure_rows

    exposures = (
        Exposure.objects.restrict(request.user, "view").filter(case=case).select_related("contact")
    )
    return exposure_rows(request.user, exposures, link="resulting_case_id")


def entry_form(
    case: Case, period: InfectiousPeriod | None, previous: dict[str, Any] | None = None
) -> ContactEntryForm:
    """A blank contact entry row; the previous entry's setting, relation and date stay."""
    initial: dict[str, Any] = {
        "language": case.person.preferred_language,
        "relation": Relation.OTHER,
        "setting": Setting.OTHER,
    }
    initial.update({name: previous[name] for name in STICKY if previous and previous.get(name)})
    return ContactEntryForm(initial=initial, period=period, focus=previous is not None)


def outcome_buttons() -> list[tuple[str, str, str]]:
    return [
        (value, str(label), OUTCOME_KEYS[CallOutcome(value)])
        for value, label in CallOutcome.choices
    ]


def case_panels(
    request: HttpRequest, case: Case, *, elicited: list[ExposureRow] | None = None
) -> dict[str, Any]:
    """Everything the interview and contacts panels of the case page need."""
    sheet = InterviewSheet.build(case, interview_of(case))
    return {
        "case": case,
        "sheet": sheet,
        "interview": sheet.interview,
        "attempts": attempts_of(case),
        "outcomes": outcome_buttons(),
        "elicited": elicited if elicited is not None else elicited_rows(request, case),
        "entry_form": entry_form(case, sheet.period),
        "editable": can_change(request),
    }
