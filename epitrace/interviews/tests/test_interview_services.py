"""Autosave, the case's dates, call attempts and completion, through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from epitrace.audit.models import AuditEvent
from epitrace.cases.choices import InvestigationStatus
from epitrace.interviews import contacts, services
from epitrace.interviews.choices import CallOutcome, InterviewStatus
from epitrace.interviews.drafts import DraftError
from epitrace.interviews.models import CallAttempt, Interview
from epitrace.interviews.sheet import InterviewSheet
from epitrace.interviews.tests.conftest import ISOLATION_END, World, claimed_investigation, entry
from epitrace.queues.choices import Outcome, State
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db


def save(world: World, stamp: int, **values: Any) -> services.AutosaveResult:
    body = {"changes": {k: {"value": v, "stamp": stamp} for k, v in values.items()}}
    return services.do_autosave(world.case, body, acting_user=world.tracer)


# --- Autosave -------------------------------------------------------------------------------


def test_the_first_save_creates_the_draft_from_what_the_case_says(world: World) -> None:
    result = save(world, 1000, notes="Speaks with her daughter present")
    interview = Interview.objects.get(case=world.case)
    assert result.version == interview.version == 1
    assert result.saved == ["notes"]
    assert interview.data["notes"] == "Speaks with her daughter present"
    assert interview.data["onset_date"] == "2020-12-07"  # the case's onset, to confirm
    assert interview.profile == world.case.profile
    assert interview.status == InterviewStatus.DRAFT
    event = AuditEvent.objects.filter(object_type="interviews.interview").get()
    assert event.action == "create"
    assert event.person_id == world.case.person_id


def test_a_late_save_never_overwrites_a_newer_one(world: World) -> None:
    save(world, 2000, notes="Called back at 3 pm")
    late = save(world, 1500, notes="Called back")
    interview = Interview.objects.get(case=world.case)
    assert late.stale == {"notes": "Called back at 3 pm"}
    assert late.saved == []
    assert interview.data["notes"] == "Called back at 3 pm"
    assert interview.version == 1  # nothing changed
    newer = save(world, 2500, notes="Called back at 4 pm")
    assert newer.version == 2
    assert Interview.objects.get(case=world.case).data["notes"] == "Called back at 4 pm"
    updates = AuditEvent.objects.filter(object_type="interviews.interview", action="update")
    assert updates.count() == 1


def test_a_resent_save_writes_nothing_twice(world: World) -> None:
    save(world, 3000, identity_name="Rosa Delgado")
    again = save(world, 3000, identity_name="Rosa Delgado")
    assert again.saved == ["identity_name"]
    assert again.version == 1
    assert AuditEvent.objects.filter(object_type="interviews.interview").count() == 1


def test_a_malformed_save_changes_nothing(world: World) -> None:
    with pytest.raises(DraftError, match="unknown interview field"):
        save(world, 1, favourite_colour="blue")
    assert not Interview.objects.exists()


def test_answers_are_kept_typed_with_the_profile_version(world: World) -> None:
    save(
        world,
        10,
        **{
            "answers.healthcare_worker": "yes",
            "answers.vaccinated": "partial",
            "answers.travel_14_days": "Boston, Dec 1",
        },
    )
    interview = Interview.objects.get(case=world.case)
    assert interview.answers == {
        "healthcare_worker": True,
        "vaccinated": "partial",
        "travel_14_days": "Boston, Dec 1",
    }
    assert interview.profile is not None
    assert interview.profile.key == "covid-19-cdc-2020"
    save(world, 11, **{"answers.vaccinated": "twice"})  # not one of the choices (yet)
    assert "vaccinated" not in Interview.objects.get(case=world.case).answers


# --- The case's dates -------------------------------------------------------------------------


def test_the_onset_moves_isolation_and_the_quarantine_of_household_contacts(world: World) -> None:
    household = contacts.do_add_contact(
        world.case,
        entry(
            given_name="Ines",
            relation="household",
            setting="household",
            ongoing=True,
            last_exposure_date=dt.date(2020, 12, 9),
        ),
        acting_user=world.tracer,
    ).exposure
    work = contacts.do_add_contact(world.case, entry(), acting_user=world.tracer).exposure
    assert household is not None
    assert work is not None
    assert household.quarantine_end == ISOLATION_END + dt.timedelta(days=14)

    result = save(world, 50, onset_date="2020-12-05")
    assert result.errors == {}
    case = world.case
    case.refresh_from_db()
    assert (case.onset_date, case.isolation_start) == (dt.date(2020, 12, 5), dt.date(2020, 12, 5))
    assert case.isolation_end == dt.date(2020, 12, 15)  # 10 days after onset (CDC 2020)
    household.refresh_from_db()
    work.refresh_from_db()
    assert household.quarantine_end == dt.date(2020, 12, 29)  # 14 days after isolation ends
    assert work.quarantine_end == dt.date(2020, 12, 20)  # its own last exposure, unchanged

    save(world, 60, asymptomatic=True)
    case.refresh_from_db()
    assert case.asymptomatic
    assert case.onset_date is None
    # Without symptoms, isolation counts from the specimen (2020-12-08).
    assert (case.isolation_start, case.isolation_end) == (case.specimen_date, dt.date(2020, 12, 18))


def test_an_impossible_onset_is_saved_in_the_draft_but_not_given_to_the_case(world: World) -> None:
    result = save(world, 70, onset_date="0002-12-07")  # a year half typed
    assert "within the year before the report" in result.errors["onset_date"]
    world.case.refresh_from_db()
    assert world.case.onset_date == dt.date(2020, 12, 7)
    assert Interview.objects.get(case=world.case).data["onset_date"] == "0002-12-07"


# --- Call attempts ----------------------------------------------------------------------------


def test_no_answer_sends_the_held_item_back_to_the_queue(world: World) -> None:
    item = claimed_investigation(world.case, world.tracer)
    result = services.do_log_attempt(
        world.case, CallOutcome.NO_ANSWER, acting_user=world.tracer, note="rang 8 times"
    )
    item.refresh_from_db()
    assert (item.state, item.attempts, item.claimed_by_id) == (State.OPEN, 1, None)
    assert "another attempt later" in result.warning
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.attempted_by, attempt.note) == (
        "no_answer",
        world.tracer,
        "rang 8 times",
    )
    world.case.refresh_from_db()
    assert world.case.investigation_status == InvestigationStatus.ATTEMPTED


@pytest.mark.parametrize(
    ("outcome", "queue_outcome", "status"),
    [
        (CallOutcome.WRONG_NUMBER, Outcome.UNREACHABLE, InvestigationStatus.UNABLE_TO_REACH),
        (CallOutcome.REFUSED, Outcome.REFUSED, InvestigationStatus.REFUSED),
    ],
)
def test_a_refusal_or_a_wrong_number_closes_the_held_item(
    world: World, outcome: str, queue_outcome: str, status: str
) -> None:
    item = claimed_investigation(world.case, world.tracer)
    services.do_log_attempt(world.case, outcome, acting_user=world.tracer)
    item.refresh_from_db()
    assert (item.state, item.outcome) == (State.DONE, queue_outcome)
    world.case.refresh_from_db()
    assert world.case.investigation_status == status


def test_reaching_the_person_keeps_the_claim_and_starts_the_interview(world: World) -> None:
    item = claimed_investigation(world.case, world.tracer)
    expires = item.claim_expires_at
    services.do_log_attempt(world.case, CallOutcome.COMPLETED, acting_user=world.tracer)
    item.refresh_from_db()
    assert item.state == State.CLAIMED
    assert item.claim_expires_at is not None
    assert expires is not None
    assert item.claim_expires_at >= expires
    world.case.refresh_from_db()
    assert world.case.investigation_status == InvestigationStatus.IN_PROGRESS
    # A call that drops later does not undo the conversation.
    services.do_log_attempt(world.case, CallOutcome.NO_ANSWER, acting_user=world.tracer)
    world.case.refresh_from_db()
    assert world.case.investigation_status == InvestigationStatus.IN_PROGRESS


def test_an_item_held_by_someone_else_is_left_to_them_and_said_so(world: World) -> None:
    colleague = f.UserFactory.create(username="tracer.a2", display_name="Dana Colleague")
    f.MembershipFactory.create(user=colleague, jurisdiction=world.case.jurisdiction)
    item = claimed_investigation(world.case, colleague)
    result = services.do_log_attempt(world.case, CallOutcome.NO_ANSWER, acting_user=world.tracer)
    assert "being worked by" in result.warning
    item.refresh_from_db()
    assert (item.state, item.claimed_by) == (State.CLAIMED, colleague)
    assert CallAttempt.objects.count() == 1


# --- Completion -------------------------------------------------------------------------------

COMPLETE = {
    "identity_name": "Rosa Delgado",
    "identity_birth_date": "1979-05-02",
    "identity_method": "name_dob",
    "symptoms": ["cough", "fever"],
    "answers.healthcare_worker": "no",
}


def complete(world: World) -> services.Completion:
    interview = Interview.objects.filter(case=world.case).first()
    sheet = InterviewSheet.build(world.case, interview, bound=True)
    assert sheet.is_valid(), sheet.problems()
    return services.do_complete_interview(
        world.case, sheet.cleaned_answers(), acting_user=world.tracer
    )


def test_an_incomplete_interview_says_which_fields_are_wrong(world: World) -> None:
    save(
        world,
        1,
        identity_birth_date="2031-01-01",
        isolating_at_home=False,
        needs=["food"],
        household=[
            {
                "key": "kid",
                "given_name": "Tim",
                "family_name": "Delgado",
                "birth_date": "2015-03-01",
            }
        ],
        settings=[{"key": "s1", "type": "school", "name": "Elm School", "last_date": "2020-11-20"}],
    )
    sheet = InterviewSheet.build(world.case, Interview.objects.get(), bound=True)
    assert not sheet.is_valid()
    problems = {(p.label, p.message) for p in sheet.problems()}
    assert ("Name as confirmed", "This field is required.") in problems
    assert ("Date of birth as confirmed", "A date of birth cannot be in the future.") in problems
    assert ("How the identity was checked", "This field is required.") in problems
    assert ("Isolation address (when not at home)", "Where is the person isolating?") in problems
    assert any("Consent" in label for label, _ in problems)
    assert (
        "Household member 1: Parent or guardian (minors)",
        "A minor needs a parent or guardian.",
    ) in problems
    assert (
        "Setting 1: To",
        "Outside the infectious period (2020-12-05 to 2020-12-17).",
    ) in problems
    anchors = {p.anchor for p in sheet.problems()}
    assert "id_household-kid-guardian" in anchors


def test_completing_records_it_and_completes_the_held_investigation_item(world: World) -> None:
    item = claimed_investigation(world.case, world.tracer)
    save(world, 1, **COMPLETE)
    done = complete(world)
    assert done.warnings == []
    interview = Interview.objects.get()
    assert interview.status == InterviewStatus.COMPLETED
    assert interview.completed_by == world.tracer
    assert interview.answers == {"healthcare_worker": False}
    world.case.refresh_from_db()
    assert world.case.investigation_status == InvestigationStatus.COMPLETED
    item.refresh_from_db()
    assert (item.state, item.outcome, item.completed_by) == (
        State.DONE,
        Outcome.COMPLETED,
        world.tracer,
    )
    # The conversation counts as a reached call for the timeliness measures.
    assert CallAttempt.objects.get().outcome == CallOutcome.COMPLETED
    # Checked again after a correction: the first completion stands.
    first = interview.completed_at
    save(world, 2, **{"answers.healthcare_worker": "yes"})
    complete(world)
    interview.refresh_from_db()
    assert interview.completed_at == first
    assert interview.answers == {"healthcare_worker": True}


def test_completing_while_a_colleague_holds_the_item_leaves_it_to_them(world: World) -> None:
    colleague = f.UserFactory.create(username="tracer.a3", display_name="Dana Colleague")
    f.MembershipFactory.create(user=colleague, jurisdiction=world.case.jurisdiction)
    item = claimed_investigation(world.case, colleague)
    save(world, 1, **COMPLETE)
    done = complete(world)
    assert len(done.warnings) == 1
    assert "being worked by Dana Colleague" in done.warnings[0]
    item.refresh_from_db()
    assert item.state == State.CLAIMED


def test_completing_cancels_a_waiting_investigation_item(world: World) -> None:
    from epitrace.queues import services as queue
    from epitrace.queues.choices import Kind

    item = queue.open_item(Kind.INVESTIGATION, case=world.case)
    save(world, 1, **COMPLETE)
    complete(world)
    item.refresh_from_db()
    assert item.state == State.CANCELLED
    assert not WorkItem.objects.filter(case=world.case, state=State.OPEN).exists()


def test_the_retention_purge_blanks_what_the_interview_heard(world: World) -> None:
    save(world, 1, **COMPLETE, notes="Lives with her sister")
    services.do_log_attempt(
        world.case, CallOutcome.NO_ANSWER, acting_user=world.tracer, note="daughter answered"
    )
    other = f.CaseFactory.create(person=world.personas.a.contact)
    services.do_log_attempt(other, CallOutcome.NO_ANSWER, acting_user=world.tracer, note="kept")
    assert services.erase_personal_data([world.case.person_id]) == 1
    interview = Interview.objects.get(case=world.case)
    assert (interview.data, interview.answers, interview.stamps) == ({}, {}, {})
    assert CallAttempt.objects.get(case=world.case).note == ""
    assert CallAttempt.objects.get(case=other).note == "kept"
