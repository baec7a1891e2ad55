"""The priority hook: work items for open cases, scores from the profile, set-based."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from epitrace.cases.models import Case
from epitrace.cases.priority import recompute_priority
from epitrace.diseases.models import DiseaseProfile
from epitrace.queues.choices import Kind, Outcome, State
from epitrace.queues.models import ClaimLog, QueueHandover, WorkItem
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db


def make_case(jurisdiction, *, days_ago: int = 1, age: int = 40, **kwargs) -> Case:
    today = timezone.localdate()
    person = f.PersonFactory.create(
        jurisdiction=jurisdiction, birth_date=today - dt.timedelta(days=age * 365 + 30)
    )
    return f.CaseFactory.create(
        person=person,
        report_date=today - dt.timedelta(days=days_ago),
        specimen_date=today - dt.timedelta(days=days_ago),
        **kwargs,
    )


def item_of(case: Case) -> WorkItem:
    return WorkItem.objects.get(case=case, kind=Kind.INVESTIGATION)


def test_an_open_case_gets_one_investigation_item(personas: Personas) -> None:
    case = personas.a.case
    recompute_priority([case.pk])
    recompute_priority([case.pk])  # idempotent: a second lab result adds no second item
    item = item_of(case)
    assert item.state == State.OPEN
    assert item.jurisdiction == item.queue == case.jurisdiction
    assert item.language == case.person.preferred_language
    assert item.due_at is not None
    assert item.due_at > timezone.now()
    case.refresh_from_db()
    assert case.priority == item.priority > 0


def test_closed_and_finished_cases_get_no_item(personas: Personas) -> None:
    jur = personas.a.jurisdiction
    closed = make_case(jur, status="closed", closed_at=timezone.now())
    finished = make_case(jur, investigation_status="completed")
    recompute_priority([closed.pk, finished.pk])
    assert not WorkItem.objects.exists()


def test_closing_a_case_cancels_its_items_and_ends_the_claim(personas: Personas) -> None:
    case = personas.a.case
    recompute_priority([case.pk])
    item = item_of(case)
    now = timezone.now()
    WorkItem.objects.filter(pk=item.pk).update(
        state=State.CLAIMED,
        claimed_by=personas.a.tracer,
        claimed_at=now,
        claim_expires_at=now + dt.timedelta(minutes=30),
    )
    ClaimLog.objects.create(item=item, user=personas.a.tracer, claimed_at=now)
    Case.objects.filter(pk=case.pk).update(status="closed", closed_at=now)
    recompute_priority([case.pk])
    item.refresh_from_db()
    assert (item.state, item.outcome) == (State.CANCELLED, Outcome.NOT_NEEDED)
    assert ClaimLog.objects.get(item=item).ended == "cancelled"


def test_a_finished_investigation_cancels_a_waiting_item_not_a_held_one(
    personas: Personas,
) -> None:
    jur = personas.a.jurisdiction
    waiting, held = make_case(jur), make_case(jur)
    recompute_priority([waiting.pk, held.pk])
    now = timezone.now()
    WorkItem.objects.filter(case=held).update(
        state=State.CLAIMED,
        claimed_by=personas.a.tracer,
        claimed_at=now,
        claim_expires_at=now + dt.timedelta(minutes=30),
    )
    Case.objects.filter(pk__in=[waiting.pk, held.pk]).update(investigation_status="completed")
    recompute_priority([waiting.pk, held.pk])
    assert item_of(waiting).state == State.CANCELLED
    assert item_of(held).state == State.CLAIMED  # its holder records the outcome


def test_a_done_investigation_is_not_reopened_by_a_new_result(personas: Personas) -> None:
    case = personas.a.case
    recompute_priority([case.pk])
    WorkItem.objects.filter(case=case).update(
        state=State.DONE, outcome=Outcome.COMPLETED, completed_at=timezone.now()
    )
    recompute_priority([case.pk])
    assert WorkItem.objects.filter(case=case).count() == 1


def test_most_recent_specimen_first_then_risk(personas: Personas) -> None:
    jur = personas.a.jurisdiction
    recent = make_case(jur, days_ago=1)
    older_but_elderly = make_case(jur, days_ago=3, age=80)
    same_day_elderly = make_case(jur, days_ago=1, age=80)
    stale = make_case(jur, days_ago=30, age=80)
    recompute_priority([c.pk for c in (recent, older_but_elderly, same_day_elderly, stale)])
    p = {c.pk: item_of(c).priority for c in (recent, older_but_elderly, same_day_elderly, stale)}
    assert p[same_day_elderly.pk] > p[recent.pk] > p[older_but_elderly.pk] > p[stale.pk]


def test_exposures_tell_the_settings_and_household(personas: Personas) -> None:
    jur = personas.a.jurisdiction
    plain, busy = make_case(jur), make_case(jur)
    for setting, relation in [("household", "household"), ("household", "household")]:
        f.ExposureFactory.create(case=busy, setting=setting, relation=relation)
    f.ExposureFactory.create(case=busy, setting="congregate", relation="other")
    f.ExposureFactory.create(case=busy, setting="school", relation="school")
    recompute_priority([plain.pk, busy.pk])
    # congregate 20 + school 15 + 2 household members x 3 (the default weights)
    assert item_of(busy).priority - item_of(plain).priority == 20 + 15 + 6


def test_weights_come_from_the_profile(personas: Personas) -> None:
    case = personas.a.case
    recompute_priority([case.pk])
    before = item_of(case).priority
    profile = case.profile
    assert profile is not None
    profile.parameters = {**profile.parameters, "priority": {"per_day_in_window": 1}}
    profile.save()
    recompute_priority([case.pk])
    assert 0 < item_of(case).priority < before


def test_a_wrong_weight_is_a_profile_error(personas: Personas) -> None:
    case = personas.a.case
    assert case.profile_id is not None
    profile = DiseaseProfile.objects.get(pk=case.profile_id)
    profile.parameters = {**profile.parameters, "priority": {"age_65_plus": "high"}}
    profile.save()
    with pytest.raises(ValueError, match="age_65_plus"):
        recompute_priority([case.pk])


def test_items_of_a_handed_over_lhd_go_to_the_state_queue(personas: Personas) -> None:
    case = personas.a.case
    QueueHandover.objects.create(
        jurisdiction=personas.a.jurisdiction,
        to_jurisdiction=personas.state,
        reason="surge",
        started_by=personas.state_epi,
    )
    recompute_priority([case.pk])
    item = item_of(case)
    assert item.jurisdiction == personas.a.jurisdiction  # still the LHD's record
    assert item.queue == personas.state


def test_a_transfer_moves_the_work_with_the_case(personas: Personas) -> None:
    case = personas.a.case
    recompute_priority([case.pk])
    Case.objects.filter(pk=case.pk).update(jurisdiction=personas.b.jurisdiction)
    recompute_priority([case.pk])
    item = item_of(case)
    assert item.jurisdiction == item.queue == personas.b.jurisdiction


def _queries(case_ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as captured:
        recompute_priority(case_ids)
    return len(captured)


def test_the_hook_is_set_based(personas: Personas) -> None:
    """The statements per call do not grow with the number of cases (first and second call)."""
    jur = personas.a.jurisdiction

    def batch(n: int) -> list[int]:
        cases = [make_case(jur, days_ago=i % 9) for i in range(n)]
        for case in cases[::2]:
            f.ExposureFactory.create(case=case)
        return [c.pk for c in cases]

    small, large = batch(3), batch(40)
    created_small, created_large = _queries(small), _queries(large)
    assert created_small == created_large
    # Again, now re-scoring existing items (different specimen days: all change).
    Case.objects.filter(pk__in=small + large).update(specimen_date=timezone.localdate())
    assert _queries(small) == _queries(large)
    assert WorkItem.objects.count() == 43
