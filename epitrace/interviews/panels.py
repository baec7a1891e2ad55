"""What the case page and the interview's fragments show: one builder for both.

The case page fetches the interview, the contacts and the rest of the
transmission chain right after its first paint (``views.case_panels``); the
interview's own views re-render parts of them after a change. A fixed number
of queries, whatever the number of attempts, household members or contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.http import HttpRequest

from epitrace.accounts.scope import has_capability
from epitrace.cases.models import Case
from epitrace.contacts.choices import Relation, Setting
from epitrace.contacts.models import Exposure
from epitrace.core.statements import Restricted, Statement, reading_ahead
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


# Read on every case page: statements compiled once (core/statements.py).
_INTERVIEW = Statement(
    lambda case: Interview.objects.filter(case=case).select_related("profile", "completed_by")
)
_ATTEMPTS = Statement(
    lambda case: CallAttempt.objects.filter(case=case).select_related("attempted_by")[
        :ATTEMPTS_SHOWN
    ]
)


def interview_of(case: Case) -> Interview | None:
    found = _INTERVIEW.fetch(case.pk)  # one at most: an interview per case
    return found[0] if found else None


def attempts_of(case: Case) -> list[CallAttempt]:
    return _ATTEMPTS.fetch(case.pk)


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


# Both directions of the chain, compiled once per number of jurisdictions.
_CHAIN = Restricted(
    Exposure,
    lambda exposures, case, person: exposures.filter(
        Q(case=case) | Q(contact=person)
    ).select_related("contact"),
)


@dataclass
class CaseRecords:
    """The transmission chain around a case, as its panels show it."""

    elicited: list[ExposureRow]  # the contacts named by the case, and the case each became
    as_contact: list[ExposureRow]  # where the case's person was a contact, and of which case
    other_cases: list[Case]  # the person's other cases


def case_records(user: Any, case: Case) -> CaseRecords:
    """Both directions of the chain and the person's other cases: two restricted queries.

    One for the exposures (named by this case, or naming its person), one for
    every case they lead to and the person's own; a linked case out of the
    user's reach stays hidden, as on every exposure list.
    """
    # Imported here: the case page's module imports this one.
    from epitrace.web.views.common import ExposureRow, cases_and_linked

    person = case.person
    exposures = _CHAIN.fetch(user, case.pk, person.pk)
    elicited = [e for e in exposures if e.case_id == case.pk]
    as_contact = [e for e in exposures if e.contact_id == person.pk]
    linked_ids = [e.resulting_case_id for e in elicited] + [e.case_id for e in as_contact]
    own, linked = cases_and_linked(user, person, linked_ids)
    return CaseRecords(
        elicited=[ExposureRow(e, linked.get(e.resulting_case_id)) for e in elicited],
        as_contact=[ExposureRow(e, linked.get(e.case_id)) for e in as_contact],
        other_cases=[other for other in own.values() if other.pk != case.pk],
    )


def case_panels(request: HttpRequest, case: Case) -> dict[str, Any]:
    """Everything the panels of the case page need: the interview, contacts, the chain."""
    with reading_ahead(
        _INTERVIEW.ahead(case.pk),
        _ATTEMPTS.ahead(case.pk),
        _CHAIN.ahead(request.user, case.pk, case.person.pk),
    ):
        return _case_panels(request, case)


def _case_panels(request: HttpRequest, case: Case) -> dict[str, Any]:
    sheet = InterviewSheet.build(case, interview_of(case))
    records = case_records(request.user, case)
    return {
        "case": case,
        "person": case.person,
        "sheet": sheet,
        "interview": sheet.interview,
        "attempts": attempts_of(case),
        "outcomes": outcome_buttons(),
        "elicited": records.elicited,
        "as_contact": records.as_contact,
        "other_cases": records.other_cases,
        "entry_form": entry_form(case, sheet.period),
        "editable": can_change(request),
    }
