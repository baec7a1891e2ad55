"""Next: which item a tracer gets (jurisdiction, team, language, priority) and claim expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from epitrace.audit.models import AuditEvent
from epitrace.queues import claims, services
from epitrace.queues.choices import ClaimEnd, Kind, Outcome, State
from epitrace.queues.errors import QueueError
from epitrace.queues.integrity import overlapping_claims
from epitrace.queues.models import ClaimLog, WorkItem
from epitrace.queues.tests.helpers import case_item, fresh, tracer
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db


def test_next_claims_the_highest_priority_item_and_logs_it(personas: Personas) -> None:
    jur = personas.a.jurisdiction
    older, newer = case_item(jur, days_ago=4), case_item(jur, days_ago=1)
    user = personas.a.tracer
    item = services.next_item(user)
    assert item is not None
    assert item.pk == newer.pk
    item.refresh_from_db()
    assert item.state == State.CLAIMED
    assert item.claimed_by == user
    assert item.claim_expires_at is not None
    assert item.claim_expires_at > timezone.now()
    log = ClaimLog.objects.get(item=item)
    assert (log.user, log.released_at, log.ended) == (user, None, "")
    event = AuditEvent.objects.filter(object_type="queues.workitem", reason="claim").get()
    assert newer.case is not None
    assert event.person_id == newer.case.person_id
    second = services.next_item(user)
    assert second is not None
    assert second.pk == older.pk
    assert services.next_item(user) is None


def test_the_postgresql_claim_locks_then_claims_and_logs_in_one_statement(
    personas: Personas,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the SKIP LOCKED claim is PostgreSQL's")
    jur = personas.a.jurisdiction
    item = case_item(jur)
    user = fresh(personas.a.tracer)
    with CaptureQueriesContext(connection) as captured:
        got = services.next_item(user)
    assert got is not None
    assert got.pk == item.pk
    sql = [q["sql"] for q in captured.captured_queries]
    locks = [s for s in sql if "SKIP LOCKED" in s and "queues_workitem" in s]
    assert len(locks) == 1  # the assigned items and the pool, one statement
    claims_ = [s for s in sql if 'UPDATE "queues_workitem"' in s or "UPDATE queues_workitem" in s]
    assert len(claims_) == 1
    assert "INSERT INTO queues_claimlog" in claims_[0]
    assert not any(s.startswith('INSERT INTO "queues_claimlog"') for s in sql)
    # What the page's address and the audit event need came back with the claim.
    assert item.case is not None
    with CaptureQueriesContext(connection) as later:
        assert got.person_id == item.case.person_id
    assert not later.captured_queries
    assert ClaimLog.objects.get(item=got).user_id == user.pk


def test_a_contacts_item_comes_back_with_its_contact(personas: Personas) -> None:
    exposure = personas.a.exposure
    item = services.open_item(Kind.NOTIFICATION, exposure=exposure)
    got = services.next_item(fresh(personas.a.tracer))
    assert got is not None
    assert got.pk == item.pk
    assert got.person_id == exposure.contact_id
    event = AuditEvent.objects.filter(object_type="queues.workitem", reason="claim").get()
    assert event.person_id == exposure.contact_id


def test_a_tracer_never_gets_another_jurisdictions_item(personas: Personas) -> None:
    case_item(personas.a.jurisdiction)
    assert services.next_item(personas.b.tracer) is None
    assert WorkItem.objects.get().state == State.OPEN


def test_state_tracers_work_the_state_queue_not_the_lhds(personas: Personas) -> None:
    case_item(personas.a.jurisdiction)
    unknown_address = case_item(personas.state)  # residence unknown: the state's case
    state_tracer = tracer(personas.state, "state.tracer")
    item = services.next_item(state_tracer)
    assert item is not None
    assert item.pk == unknown_address.pk
    assert services.next_item(state_tracer) is None  # LHD A's item stays LHD A's


def test_team_items_go_to_the_team_only(personas: Personas) -> None:
    jur = personas.a.jurisdiction
    team = f.TeamFactory.create(jurisdiction=jur)
    member = tracer(jur, "member", team=team)
    outsider = tracer(jur, "outsider")
    kept = case_item(jur, days_ago=1)
    WorkItem.objects.filter(pk=kept.pk).update(team=team)
    anyone = case_item(jur, days_ago=3)
    first = services.next_item(outsider)
    assert first is not None
    assert first.pk == anyone.pk
    assert services.next_item(outsider) is None
    got = services.next_item(member)
    assert got is not None
    assert got.pk == kept.pk


def test_an_item_assigned_to_a_tracer_comes_first(personas: Personas) -> None:
    jur = personas.a.jurisdiction
    case_item(jur, days_ago=1)
    given = case_item(jur, days_ago=6)
    colleague = tracer(jur, "colleague")
    WorkItem.objects.filter(pk=given.pk).update(assignee=colleague)
    got = services.next_item(colleague)
    assert got is not None
    assert got.pk == given.pk
    # Nobody else takes an item given to someone.
    other = services.next_item(personas.a.tracer)
    assert other is not None
    assert other.pk != given.pk
    assert services.next_item(personas.a.tracer) is None


def test_language_routing_and_its_fallback(personas: Personas, settings) -> None:
    jur = personas.a.jurisdiction
    spanish = case_item(jur, days_ago=1, language="es")
    english_only = personas.a.tracer
    assert services.next_item(english_only) is None  # waits for a Spanish speaker
    speaker = tracer(jur, "bilingual", languages="en,es")
    got = services.next_item(speaker)
    assert got is not None
    assert got.pk == spanish.pk
    # An item nobody took in its language goes to anyone after the wait.
    settings.EPITRACE_QUEUE_LANGUAGE_WAIT_MINUTES = 60
    haitian = case_item(jur, days_ago=1, language="ht")
    assert services.next_item(fresh(english_only)) is None
    WorkItem.objects.filter(pk=haitian.pk).update(
        available_at=timezone.now() - dt.timedelta(minutes=61)
    )
    got = services.next_item(fresh(english_only))
    assert got is not None
    assert got.pk == haitian.pk


def test_a_language_teams_members_get_its_items(personas: Personas) -> None:
    jur = personas.a.jurisdiction
    line = f.TeamFactory.create(jurisdiction=jur, name="Portuguese line", languages="pt")
    member = tracer(jur, "member", team=line)  # speaks English only, answers the line
    item = case_item(jur, language="pt")
    assert services.next_item(personas.a.tracer) is None
    got = services.next_item(member)
    assert got is not None
    assert got.pk == item.pk


def test_claims_expire_back_to_the_queue(personas: Personas, settings) -> None:
    settings.EPITRACE_QUEUE_CLAIM_MINUTES = 30
    item = case_item(personas.a.jurisdiction)
    first = personas.a.tracer
    assert services.next_item(first) is not None
    WorkItem.objects.filter(pk=item.pk).update(
        claim_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    colleague = tracer(personas.a.jurisdiction, "colleague")
    got = services.next_item(colleague)  # Next returns expired claims first
    assert got is not None
    assert got.pk == item.pk
    logs = list(ClaimLog.objects.filter(item=item).order_by("claimed_at", "id"))
    assert [(log.user_id, log.ended) for log in logs] == [
        (first.pk, ClaimEnd.EXPIRED),
        (colleague.pk, ""),
    ]
    assert logs[0].released_at is not None
    assert logs[0].released_at <= logs[1].claimed_at
    # The first tracer's claim is gone: they cannot record an outcome any more.
    with pytest.raises(QueueError):
        services.complete_item(item, first, Outcome.COMPLETED)


def test_the_minute_job_returns_expired_claims(personas: Personas) -> None:
    item = case_item(personas.a.jurisdiction)
    services.next_item(personas.a.tracer)
    assert claims.release_expired() == 0
    WorkItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now())
    assert claims.release_expired() == 1
    item.refresh_from_db()
    assert item.state == State.OPEN
    assert item.claimed_by is None


def test_keep_extends_the_claim(personas: Personas) -> None:
    item = case_item(personas.a.jurisdiction)
    services.next_item(personas.a.tracer)
    WorkItem.objects.filter(pk=item.pk).update(
        claim_expires_at=timezone.now() + dt.timedelta(minutes=1)
    )
    kept = services.keep_item(item, personas.a.tracer)
    assert kept.claim_expires_at is not None
    assert kept.claim_expires_at > timezone.now() + dt.timedelta(minutes=20)


def test_complete_release_and_retry(personas: Personas, settings) -> None:
    settings.EPITRACE_QUEUE_MAX_ATTEMPTS = 2
    settings.EPITRACE_QUEUE_RETRY_MINUTES = 120
    user = personas.a.tracer
    item = case_item(personas.a.jurisdiction)
    services.next_item(user)
    retried = services.complete_item(item, user, Outcome.NOT_REACHED, note="voicemail")
    assert (retried.state, retried.attempts) == (State.OPEN, 1)
    assert retried.available_at > timezone.now() + dt.timedelta(minutes=100)
    assert services.next_item(user) is None  # not before the retry delay
    WorkItem.objects.filter(pk=item.pk).update(available_at=timezone.now())
    services.next_item(user)
    done = services.complete_item(item, user, Outcome.NOT_REACHED)
    assert (done.state, done.outcome, done.attempts) == (State.DONE, Outcome.NOT_REACHED, 2)
    ends = list(ClaimLog.objects.filter(item=item).order_by("id").values_list("ended", flat=True))
    assert ends == [ClaimEnd.RETRY, ClaimEnd.COMPLETED]
    with pytest.raises(QueueError):
        services.release_item(item, user)


def _row(item: WorkItem) -> dict[str, object]:
    return {f.attname: getattr(item, f.attname) for f in WorkItem._meta.concrete_fields}


@pytest.mark.parametrize(
    "end",
    [
        lambda item, user: services.complete_item(item, user, Outcome.COMPLETED, note="done"),
        lambda item, user: services.complete_item(item, user, Outcome.NOT_REACHED, note="vm"),
        lambda item, user: services.release_item(item, user),
    ],
    ids=["completed", "retry", "released"],
)
def test_an_outcome_stores_every_column_it_changes(personas, end) -> None:
    # The end of a claim writes the item's claim columns by SQL of its own
    # (ending.py), not the whole row: what the service returns must be what
    # is stored, a column left out of ENDED_FIELDS would show here.
    user = personas.a.tracer
    item = case_item(personas.a.jurisdiction)
    services.next_item(user)
    before = WorkItem.objects.get(pk=item.pk).updated_at
    ended = end(item, user)
    stored = WorkItem.objects.get(pk=item.pk)
    assert _row(stored) == _row(ended)
    assert stored.updated_at > before  # stamped as save() stamps it
    assert ClaimLog.objects.get(item=item).released_at is not None


def test_a_released_item_skips_its_releaser_for_a_while(personas: Personas) -> None:
    jur = personas.a.jurisdiction
    item = case_item(jur)
    user = personas.a.tracer
    services.next_item(user)
    services.release_item(item, user)
    assert services.next_item(fresh(user)) is None
    colleague = tracer(jur, "colleague")
    got = services.next_item(colleague)
    assert got is not None
    assert got.pk == item.pk
    assert ClaimLog.objects.filter(item=item, ended=ClaimEnd.RELEASED).count() == 1


def test_nobody_hoards_items(personas: Personas, settings) -> None:
    settings.EPITRACE_QUEUE_MAX_CLAIMS = 2
    for _ in range(3):
        case_item(personas.a.jurisdiction)
    user = personas.a.tracer
    services.next_item(user)
    services.next_item(user)
    with pytest.raises(QueueError, match="already hold 2"):
        services.next_item(user)


def test_only_the_holder_completes(personas: Personas) -> None:
    item = case_item(personas.a.jurisdiction)
    services.next_item(personas.a.tracer)
    colleague = tracer(personas.a.jurisdiction, "colleague")
    with pytest.raises(QueueError):
        services.complete_item(item, colleague, Outcome.COMPLETED)
    with pytest.raises(ValueError, match="unknown outcome"):
        services.complete_item(item, personas.a.tracer, "maybe")


def test_a_user_without_a_queue_is_told(personas: Personas) -> None:
    coordinator = f.UserFactory.create(username="cbo")
    f.MembershipFactory.create(
        user=coordinator, jurisdiction=personas.a.jurisdiction, role="cbo_coordinator"
    )
    with pytest.raises(QueueError, match="do not work any queue"):
        services.next_item(coordinator)


def test_sqlite_claim_loses_a_race_gracefully(personas: Personas, monkeypatch) -> None:
    """The conditional UPDATE: a row another tracer took after our SELECT is skipped."""
    if connection.features.has_select_for_update_skip_locked:
        pytest.skip("PostgreSQL claims with SKIP LOCKED; tested in test_concurrency")
    jur = personas.a.jurisdiction
    first, second = case_item(jur, days_ago=1), case_item(jur, days_ago=2)
    rival = tracer(jur, "rival")
    real_take = claims._take

    def take_after_rival(item: WorkItem, user: object) -> bool:
        if item.pk == first.pk and user is not rival:
            assert real_take(WorkItem.objects.get(pk=first.pk), rival)  # the rival wins it
        return real_take(item, user)

    monkeypatch.setattr(claims, "_take", take_after_rival)
    got = services.next_item(personas.a.tracer)
    assert got is not None
    assert got.pk == second.pk
    first.refresh_from_db()
    assert first.claimed_by == rival


def test_the_claim_log_check_counts_overlaps_not_handovers(personas: Personas) -> None:
    """The double-claim verdict can fail: overlapping intervals are counted, touching are not."""
    item = case_item(personas.a.jurisdiction)
    first, second = personas.a.tracer, tracer(personas.a.jurisdiction, "second")
    start = timezone.now()
    minutes = [start + dt.timedelta(minutes=m) for m in range(10)]
    ClaimLog.objects.create(
        item=item, user=first, claimed_at=minutes[0], released_at=minutes[2], ended="released"
    )
    ClaimLog.objects.create(
        item=item, user=second, claimed_at=minutes[2], released_at=minutes[4], ended="expired"
    )
    assert overlapping_claims() == 0
    ClaimLog.objects.create(
        item=item, user=first, claimed_at=minutes[3], released_at=minutes[5], ended="completed"
    )
    assert overlapping_claims() == 1
    assert overlapping_claims(since=minutes[3]) == 0  # only claims started since count
