"""The interview's state changes: autosave, call attempts, completion.

Each is atomic and audited under the acting user; the views, and anything
else that records an interview, call these. The caller has found the case
in the user's restricted queryset (for change); nothing here widens it.

Call attempts and completion also move the case's investigation work item
(epitrace/queues/services.py) when the tracer holds its claim: an attempt
that did not reach the person sends it back to the queue for a later retry,
a refusal or a wrong number closes it, a completed interview completes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from epitrace.audit.choices import Action
from epitrace.audit.services import changes, record, record_change, snapshot
from epitrace.cases.choices import InvestigationStatus
from epitrace.cases.models import Case
from epitrace.diseases.models import DiseaseProfile
from epitrace.interviews import drafts
from epitrace.interviews.casedates import do_sync_case_dates
from epitrace.interviews.choices import CallOutcome, InterviewStatus
from epitrace.interviews.models import CallAttempt, Interview, InterviewSource
from epitrace.interviews.questions import Question, answer_value, form_field, questions_of
from epitrace.queues.choices import ACTIVE_STATES, Kind, Outcome, State
from epitrace.queues.errors import QueueError
from epitrace.queues.models import WorkItem
from epitrace.queues.services import complete_item, items_for_case, keep_item
from epitrace.queues.sync import sync_cases

DATE_KEYS = {"onset_date", "asymptomatic"}
# What an attempt tells the queue and the case; None leaves the item with its holder.
QUEUE_OUTCOME = {
    CallOutcome.NO_ANSWER: Outcome.NOT_REACHED,
    CallOutcome.VOICEMAIL: Outcome.NOT_REACHED,
    CallOutcome.WRONG_NUMBER: Outcome.UNREACHABLE,
    CallOutcome.REFUSED: Outcome.REFUSED,
    CallOutcome.COMPLETED: None,
}
CASE_STATUS = {
    CallOutcome.NO_ANSWER: InvestigationStatus.ATTEMPTED,
    CallOutcome.VOICEMAIL: InvestigationStatus.ATTEMPTED,
    CallOutcome.WRONG_NUMBER: InvestigationStatus.UNABLE_TO_REACH,
    CallOutcome.REFUSED: InvestigationStatus.REFUSED,
    CallOutcome.COMPLETED: InvestigationStatus.IN_PROGRESS,
}
NOT_REACHED_STATUSES = (InvestigationStatus.ATTEMPTED, InvestigationStatus.UNABLE_TO_REACH)


# --- The draft ----------------------------------------------------------------------------


def initial_data(case: Case) -> dict[str, Any]:
    """A new draft: what the case already says about onset, for the tracer to confirm."""
    return {
        "onset_date": case.onset_date.isoformat() if case.onset_date else "",
        "asymptomatic": case.asymptomatic,
        "isolating_at_home": True,
        "household": [],
        "settings": [],
    }


def profile_of(case: Case, interview: Interview | None) -> DiseaseProfile | None:
    """The profile the interview asks: the one it started under, else the case's."""
    if interview is not None and interview.profile_id is not None:
        return interview.profile
    return case.profile


def questions_for(case: Case, interview: Interview | None) -> list[Question]:
    profile = profile_of(case, interview)
    return questions_of(profile.questions if profile else [])


@dataclass
class AutosaveResult:
    version: int
    saved: list[str]
    stale: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def do_autosave(
    case: Case,
    body: Any,
    *,
    acting_user: Any,
    request: HttpRequest | None = None,
    reason: str = "",
) -> AutosaveResult:
    """Apply a save from the page (see drafts.py); DraftError for a malformed one."""
    with transaction.atomic():
        interview, created = _locked_interview(case, acting_user)
        questions = questions_for(case, interview)
        parsed = drafts.parse_changes(body, [q.key for q in questions])
        keys = [change.key for change in parsed]
        before = {key: drafts.value_of(interview.data, key) for key in keys}
        stamps = dict(interview.stamps)
        result = drafts.apply_changes(interview.data, interview.stamps, parsed, _now_ms())
        if result.applied or created:
            interview.version += 1
            interview.answers = lenient_answers(interview.data, questions)
            interview.updated_by = acting_user
        if result.applied or created or stamps != interview.stamps:
            interview.save()
        if result.applied or created:
            after = {key: drafts.value_of(interview.data, key) for key in result.applied}
            _audit(
                Action.CREATE if created else Action.UPDATE,
                interview,
                case,
                acting_user,
                request,
                {"changes": changes({k: before[k] for k in result.applied}, after)},
                reason,
            )
        errors = {}
        if DATE_KEYS & set(result.applied):
            problem = do_sync_case_dates(
                case, interview.data, acting_user=acting_user, request=request
            )
            if problem:
                errors["onset_date"] = problem
    return AutosaveResult(interview.version, result.saved, result.stale, errors)


def lenient_answers(data: dict[str, Any], questions: list[Question]) -> dict[str, Any]:
    """The answers that are valid so far, typed; a half-typed one is left out."""
    answers: dict[str, Any] = {}
    for question in questions:
        raw = drafts.value_of(data, question.draft_key)
        try:
            value = answer_value(question, form_field(question).clean(raw))
        except ValidationError:
            continue
        if value is not None:
            answers[question.key] = value
    return answers


def _locked_interview(case: Case, user: Any) -> tuple[Interview, bool]:
    """The case's interview, created on first save, locked for this transaction."""
    interview, created = Interview.objects.get_or_create(
        case=case,
        defaults={
            "data": initial_data(case),
            "profile": case.profile,
            "started_by": user,
            "updated_by": user,
        },
    )
    locked = (
        Interview.objects.select_for_update(of=("self",))
        .select_related("profile")
        .get(pk=interview.pk)
    )
    return locked, created


def _audit(
    action: str,
    obj: Interview | CallAttempt,
    case: Case,
    user: Any,
    request: HttpRequest | None,
    payload: Any,
    reason: str = "",
) -> None:
    record(
        action,
        actor=user,
        obj=obj,
        person_id=case.person_id,
        jurisdiction_id=case.jurisdiction_id,
        request=request,
        reason=reason,
        payload=payload,
    )


def _now_ms() -> int:
    return int(timezone.now().timestamp() * 1000)


# --- Call attempts -------------------------------------------------------------------------


@dataclass
class AttemptResult:
    attempt: CallAttempt
    message: str
    warning: str = ""


def do_log_attempt(
    case: Case,
    outcome: str,
    *,
    acting_user: Any,
    note: str = "",
    request: HttpRequest | None = None,
) -> AttemptResult:
    """Record one call, move the case's investigation status, and tell the queue."""
    if outcome not in CallOutcome.values:
        raise ValueError(f"unknown call outcome {outcome!r}")
    with transaction.atomic():
        attempt = _create_attempt(case, outcome, acting_user, note, request)
        _set_status(case, CASE_STATUS[CallOutcome(outcome)], acting_user, request)
    message = _("Call recorded: %(outcome)s.") % {"outcome": attempt.get_outcome_display()}
    warning = _queue_after_attempt(case, CallOutcome(outcome), acting_user, request)
    return AttemptResult(attempt, message, warning)


def _create_attempt(
    case: Case, outcome: str, user: Any, note: str, request: HttpRequest | None
) -> CallAttempt:
    attempt = CallAttempt.objects.create(
        case=case, outcome=outcome, attempted_by=user, note=note.strip()[:300]
    )
    _audit(Action.CREATE, attempt, case, user, request, {"changes": changes({}, snapshot(attempt))})
    return attempt


def _set_status(case: Case, status: str, user: Any, request: HttpRequest | None) -> None:
    target = next_status(case.investigation_status, status)
    if target is None:
        return
    before = snapshot(case, ["investigation_status"])
    case.investigation_status = target
    case.save(update_fields=["investigation_status", "updated_at"])
    record_change(user, case, before, snapshot(case, ["investigation_status"]), request=request)


def next_status(current: str, target: str) -> str | None:
    """The investigation status after an event aiming at ``target``; None to leave it."""
    if current in (target, InvestigationStatus.COMPLETED):
        return None  # a completed interview stays completed whatever calls follow
    if current == InvestigationStatus.IN_PROGRESS and target in NOT_REACHED_STATUSES:
        return None  # a call that drops mid-interview does not undo the conversation
    return target


def investigation_item(case: Case) -> WorkItem | None:
    """The case's active investigation item, if there is one."""
    return (
        items_for_case(case)
        .filter(case=case, kind=Kind.INVESTIGATION, state__in=list(ACTIVE_STATES))
        .first()
    )


def _queue_after_attempt(
    case: Case, outcome: CallOutcome, user: Any, request: HttpRequest | None
) -> str:
    """Record the attempt on the investigation item the user holds; a warning if not theirs."""
    item = investigation_item(case)
    if item is None or item.state != State.CLAIMED:
        return ""
    if item.claimed_by_id != user.pk:
        return held_elsewhere(item)
    try:
        queue_outcome = QUEUE_OUTCOME[outcome]
        if queue_outcome is None:
            keep_item(item, user)  # on the phone with them: keep the claim alive
            return ""
        done = complete_item(item, user, queue_outcome, request=request)
    except QueueError as exc:
        return str(exc.message)
    if done.state == State.OPEN:
        return _("The case goes back to the queue for another attempt later.")
    return _("The investigation work item is closed: %(outcome)s.") % {
        "outcome": done.get_outcome_display()
    }


def held_elsewhere(item: WorkItem) -> str:
    holder = item.claimed_by
    assert holder is not None
    name = str(holder)
    return _(
        "The investigation work item is being worked by %(who)s: it stays with them "
        "until they complete or release it."
    ) % {"who": name}


# --- Completion ---------------------------------------------------------------------------


@dataclass
class Completion:
    interview: Interview
    messages: list[str]
    warnings: list[str]


def do_complete_interview(
    case: Case,
    answers: dict[str, Any],
    *,
    acting_user: Any,
    request: HttpRequest | None = None,
) -> Completion:
    """Record a validated interview as completed (the view validated the draft's forms).

    ``answers`` are the cleaned answers to the profile's questions, typed.
    """
    messages, warnings = [_("Interview completed.")], []
    with transaction.atomic():
        interview, _created = _locked_interview(case, acting_user)
        before = snapshot(interview, ["status", "completed_by", "completed_at", "answers"])
        if not interview.is_completed:
            # Checked again later, it keeps its first completion: the 48-hour measure counts it.
            interview.status = InterviewStatus.COMPLETED
            interview.completed_by, interview.completed_at = acting_user, timezone.now()
        interview.answers, interview.updated_by = answers, acting_user
        interview.save()
        after = snapshot(interview, ["status", "completed_by", "completed_at", "answers"])
        _audit(
            Action.UPDATE,
            interview,
            case,
            acting_user,
            request,
            {"changes": changes(before, after)},
            "complete",
        )
        if problem := do_sync_case_dates(
            case, interview.data, acting_user=acting_user, request=request
        ):
            raise ValidationError({"onset_date": problem})
        if not CallAttempt.objects.filter(case=case, outcome=CallOutcome.COMPLETED).exists():
            # The interview was a conversation: the timeliness measures count it as a reach.
            _create_attempt(case, CallOutcome.COMPLETED, acting_user, "", request)
        _set_status(case, InvestigationStatus.COMPLETED, acting_user, request)
    warning = _queue_after_completion(case, acting_user, request)
    if warning:
        warnings.append(warning)
    return Completion(interview, messages, warnings)


def _queue_after_completion(case: Case, user: Any, request: HttpRequest | None) -> str:
    item = investigation_item(case)
    if item is None:
        return ""
    if item.state == State.OPEN:
        # Nobody holds it: the queue's own sync cancels a finished investigation's item.
        sync_cases([case.pk])
        return ""
    if item.claimed_by_id != user.pk:
        return held_elsewhere(item)
    try:
        complete_item(item, user, Outcome.COMPLETED, request=request)
    except QueueError as exc:
        return str(exc.message)
    return ""


# --- Self-interview -----------------------------------------------------------------------


class AlreadyReported(ValueError):
    """The interview is completed, or the case already sent their self-interview."""


def do_record_self_report(
    case: Case,
    values: dict[str, Any],
    *,
    acting_user: Any,
    request: HttpRequest | None = None,
    reason: str = "portal",
) -> Interview:
    """Store what a case answered in the portal as the interview's draft, marked self-reported.

    A tracer still reviews and completes it. What a tracer already typed is
    kept: a field of the draft that holds an edit keeps it, and household and
    settings rows are added to the tracer's. A completed interview, or one
    the case already sent, is never overwritten (AlreadyReported).
    """
    fields = ["source", "self_reported_at"]
    with transaction.atomic():
        held = Interview.objects.select_for_update().filter(case=case).first()
        if held is not None and (held.is_completed or held.is_self_reported):
            raise AlreadyReported(case.pk)
        changed = _unedited(held, values) if held is not None else _stamped(values)
        do_autosave(
            case, {"changes": changed}, acting_user=acting_user, request=request, reason=reason
        )
        interview = Interview.objects.select_for_update().get(case=case)
        before = snapshot(interview, fields)
        if held is None:
            interview.source = InterviewSource.PORTAL  # the case answered before any tracer
        interview.self_reported_at = timezone.now()
        interview.save(update_fields=[*fields, "updated_at"])
        payload = {"changes": changes(before, snapshot(interview, fields))}
        _audit(Action.UPDATE, interview, case, acting_user, request, payload, reason)
    return interview


def _stamped(values: dict[str, Any]) -> dict[str, Any]:
    stamp = _now_ms()
    return {key: {"value": value, "stamp": stamp} for key, value in values.items()}


def _unedited(interview: Interview, values: dict[str, Any]) -> dict[str, Any]:
    """The changes to send: new rows appended, other fields only where nobody typed yet."""
    merged: dict[str, Any] = {}
    for key, value in values.items():
        held = drafts.value_of(interview.data, key) or []
        if key in drafts.ROWS:
            merged[key] = [*held, *value]
        elif key in drafts.LISTS:
            merged[key] = [*held, *[v for v in value if v not in held]]
        elif key not in interview.stamps:  # a field a tracer edited keeps their value
            merged[key] = value
    return _stamped(merged)


# --- Retention ----------------------------------------------------------------------------


def erase_personal_data(person_ids: list[int]) -> int:
    """Blank the interviews and call notes of these persons' cases (the retention purge).

    The rows stay, with their dates and outcomes, so the timeliness measures
    still count them. Returns how many interviews were blanked.
    """
    cases = Case.objects.filter(person_id__in=person_ids).values("pk")
    CallAttempt.objects.filter(case__in=cases).exclude(note="").update(note="")
    return Interview.objects.filter(case__in=cases).update(data={}, stamps={}, answers={})
