"""epitrace audit verify / checkpoint, and the periodic job."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from epitrace.audit import services
from epitrace.audit.models import AuditCheckpoint
from epitrace.audit.tasks import checkpoint_audit_chains
from epitrace.audit.tests.utils import tamper
from epitrace.testing.personas import Personas


def _run(*args: str) -> tuple[str, dict]:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    text = out.getvalue()
    return text, json.loads(text.strip().splitlines()[-1])


def test_verify_prints_a_json_summary_last(personas: Personas) -> None:
    services.record_read(personas.a.tracer, personas.a.person)
    text, summary = _run("verify", "--json")
    assert "intact" in text
    assert summary == {
        "ok": True,
        "events": 1,
        "chains": 1,
        "checkpoints": 0,
        "erased_payloads": 0,
        "problems": [],
    }
    assert _run("--json", "verify")[1]["ok"]


def test_verify_exits_1_and_names_the_row(personas: Personas) -> None:
    event = services.record_read(personas.a.tracer, personas.a.person)
    tamper("UPDATE audit_event SET person_id = %s", [personas.b.person.pk])
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", "--json", stdout=out)
    assert failure.value.returncode == 1
    lines = out.getvalue().strip().splitlines()
    assert f"event {event.pk}" in lines[0]
    summary = json.loads(lines[-1])
    assert summary["ok"] is False
    assert summary["problems"] == [
        {
            "chain": event.chain,
            "seq": 1,
            "event_id": event.pk,
            "problem": "altered: the row does not match its hash",
        }
    ]


def test_checkpoint_command_and_job_append_to_the_file(
    personas: Personas, checkpoint_file: Path
) -> None:
    services.record_read(personas.a.tracer, personas.a.person)
    _, summary = _run("checkpoint", "--json")
    assert summary["signed"] == 1
    services.record_read(personas.a.tracer, personas.a.person)
    checkpoint_audit_chains.call_local()
    assert len(checkpoint_file.read_text().splitlines()) == 2
    assert AuditCheckpoint.objects.count() == 2
    assert _run("verify", "--json")[1]["checkpoints"] == 4  # table and file
