"""Verify names what was altered, inserted or deleted, including at the end of a chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from epitrace.audit import services
from epitrace.audit.checkpoints import do_checkpoint
from epitrace.audit.choices import Action
from epitrace.audit.models import AuditEvent
from epitrace.audit.tests.utils import copy_row, drop_unique_chain_seq, problems_at, tamper
from epitrace.audit.verify import verify
from epitrace.testing.personas import Personas


@pytest.fixture
def events(personas: Personas) -> list[AuditEvent]:
    """Five reads in one chain (the payload-free kind, so rows can be deleted cleanly)."""
    tracer = personas.a.tracer
    return [services.record_read(tracer, personas.a.person, reason=f"r{i}") for i in range(5)]


def test_an_intact_trail_verifies(events: list[AuditEvent]) -> None:
    report = verify()
    assert report.ok, report.problems
    assert (report.events, report.chains) == (5, 1)


def test_an_altered_field_is_named(events: list[AuditEvent]) -> None:
    target = events[2]
    tamper("UPDATE audit_event SET reason = %s WHERE id = %s", ["nothing to see", target.pk])
    report = verify()
    assert not report.ok
    [problem] = report.problems
    assert (problem.event_id, problem.chain, problem.seq) == (target.pk, target.chain, 3)
    assert "altered" in problem.problem


def test_an_altered_actor_or_time_is_named(events: list[AuditEvent], personas: Personas) -> None:
    tamper(
        "UPDATE audit_event SET actor_id = %s WHERE id = %s", [personas.b.tracer.pk, events[0].pk]
    )
    tamper(
        "UPDATE audit_event SET occurred_at = occurred_at - INTERVAL '1 day' WHERE id = %s"
        if _postgres()
        else "UPDATE audit_event SET occurred_at = datetime(occurred_at, '-1 day') WHERE id = %s",
        [events[1].pk],
    )
    report = verify()
    assert problems_at(report, events[0])
    assert problems_at(report, events[1])


def test_a_rewritten_hash_breaks_the_next_link(events: list[AuditEvent]) -> None:
    tamper("UPDATE audit_event SET hash = %s WHERE id = %s", ["0" * 64, events[1].pk])
    report = verify()
    assert problems_at(report, events[1])  # its hash no longer matches its contents
    assert any("broken link" in p.problem for p in problems_at(report, events[2]))


def test_a_row_inserted_at_the_end_is_named(events: list[AuditEvent]) -> None:
    last = events[-1]
    copy_row(last, seq=6, prev_hash=last.hash, reason="forged")
    report = verify()
    forged = AuditEvent.objects.get(chain=last.chain, seq=6)
    assert problems_at(report, forged)
    assert any("after the head" in p.problem for p in report.problems)


def test_a_row_inserted_with_a_taken_seq_is_named(events: list[AuditEvent]) -> None:
    drop_unique_chain_seq()
    copy_row(events[2], reason="forged")
    forged = AuditEvent.objects.get(reason="forged")
    report = verify()
    assert problems_at(report, forged)
    assert not problems_at(report, events[2])


def test_an_exact_copy_with_a_taken_seq_is_named(events: list[AuditEvent]) -> None:
    drop_unique_chain_seq()
    copy_row(events[2])
    copy = AuditEvent.objects.filter(chain=events[2].chain, seq=3).exclude(pk=events[2].pk).get()
    [problem] = verify().problems
    assert problem.event_id == copy.pk
    assert "inserted" in problem.problem


def test_a_deleted_middle_row_is_named(events: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_event WHERE id = %s", [events[2].pk])
    [problem] = verify().problems
    assert (problem.chain, problem.seq) == (events[2].chain, 3)
    assert "missing" in problem.problem


def test_deleted_last_rows_are_found_by_the_head(events: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_event WHERE id IN (%s, %s)", [events[3].pk, events[4].pk])
    [problem] = verify().problems
    assert (problem.chain, problem.seq) == (events[0].chain, 4)
    assert "rows 4..5 are missing" in problem.problem


def test_deleting_every_row_is_found(events: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_event")
    report = verify()
    assert [p.seq for p in report.problems] == [1]
    assert "rows 1..5 are missing" in report.problems[0].problem


def test_deleted_tail_with_its_head_moved_back_is_found_by_the_checkpoint(
    events: list[AuditEvent], checkpoint_file: Path
) -> None:
    do_checkpoint()
    _cut_tail(events, keep=3)
    report = verify()
    assert any(
        p.seq == 4 and "checkpointed at" in p.problem and "rows 4..5" in p.problem
        for p in report.problems
    )


def test_the_file_still_tells_when_the_checkpoint_table_is_emptied_too(
    events: list[AuditEvent], checkpoint_file: Path
) -> None:
    do_checkpoint()
    _cut_tail(events, keep=4)
    tamper("DELETE FROM audit_checkpoint")
    [problem] = verify().problems
    assert (problem.chain, problem.seq) == (events[0].chain, 5)
    assert "checkpointed at" in problem.problem


def test_rows_after_the_last_checkpoint_are_covered_by_checkpoints_to_come(
    events: list[AuditEvent], personas: Personas
) -> None:
    do_checkpoint()
    later = services.record_read(personas.a.tracer, personas.a.person)
    assert [c.seq for c in do_checkpoint()] == [later.seq]
    assert do_checkpoint() == []  # nothing moved: nothing signed
    assert verify().ok


def test_a_forged_checkpoint_line_is_named(events: list[AuditEvent], checkpoint_file: Path) -> None:
    do_checkpoint()
    line = json.loads(checkpoint_file.read_text().splitlines()[0])
    line["seq"] = 2  # claim less was there, to cover a cut tail
    checkpoint_file.write_text(checkpoint_file.read_text() + json.dumps(line) + "\n")
    report = verify()
    assert any(p.seq == 2 and "signature is invalid" in p.problem for p in report.problems)


def test_a_tampered_checkpoint_row_is_named(events: list[AuditEvent]) -> None:
    do_checkpoint()
    tamper("UPDATE audit_checkpoint SET seq = 9")
    report = verify()
    assert any(p.seq == 9 and "signature is invalid" in p.problem for p in report.problems)


def test_an_unreadable_checkpoint_line_is_named(
    events: list[AuditEvent], checkpoint_file: Path
) -> None:
    do_checkpoint()
    checkpoint_file.write_text(checkpoint_file.read_text() + '{"chain": \n')
    assert any("line 2" in p.problem for p in verify().problems)


def test_a_missing_checkpoint_file_is_named(
    events: list[AuditEvent], checkpoint_file: Path
) -> None:
    do_checkpoint()
    checkpoint_file.unlink()
    assert any("is missing" in p.problem for p in verify().problems)


def test_checkpoints_of_another_ledger_are_named(
    events: list[AuditEvent], checkpoint_file: Path
) -> None:
    do_checkpoint()
    line = json.loads(checkpoint_file.read_text().splitlines()[0])
    line["ledger"] = "an-older-database"
    checkpoint_file.write_text(json.dumps(line) + "\n")
    tamper("DELETE FROM audit_checkpoint")
    [problem] = verify().problems
    assert "ledger an-older-database" in problem.problem


def test_an_altered_ledger_is_named(events: list[AuditEvent]) -> None:
    tamper("UPDATE audit_ledger SET ledger = 'another'")
    report = verify()
    assert any("ledger row was altered" in p.problem for p in report.problems)


def test_a_tampered_head_is_named(events: list[AuditEvent]) -> None:
    tamper("UPDATE audit_chain_head SET last_hash = %s WHERE last_seq = 5", ["f" * 64])
    [problem] = verify().problems
    assert (problem.seq, problem.event_id) == (5, events[4].pk)


def test_a_deleted_head_is_named(events: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_chain_head WHERE last_seq = 5")
    [problem] = verify().problems
    assert "head row is missing" in problem.problem


def test_rows_made_with_a_retired_key_still_verify(
    events: list[AuditEvent], audit_settings, personas: Personas
) -> None:
    old = audit_settings.EPITRACE_AUDIT_KEY
    audit_settings.EPITRACE_AUDIT_KEY = "a-new-chain-key-" + "9" * 32
    audit_settings.EPITRACE_AUDIT_RETIRED_KEYS = old
    services.record(Action.EXPORT, actor=personas.state_epi, payload={"rows": 3})
    assert verify().ok
    audit_settings.EPITRACE_AUDIT_RETIRED_KEYS = ""
    assert any("unknown key" in p.problem for p in verify().problems)


def test_disabled_triggers_are_named(events: list[AuditEvent]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
    assert any("trigger" in p.problem for p in verify().problems)


def _cut_tail(events: list[AuditEvent], keep: int) -> None:
    """Delete the rows after ``keep`` and move the head back onto the last kept row."""
    ids = [e.pk for e in events[keep:]]
    placeholders = ", ".join(["%s"] * len(ids))
    tamper(f"DELETE FROM audit_event WHERE id IN ({placeholders})", ids)  # noqa: S608
    kept = events[keep - 1]
    tamper(
        "UPDATE audit_chain_head SET last_seq = %s, last_hash = %s WHERE chain = %s",
        [kept.seq, kept.hash, kept.chain],
    )


def _postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"
