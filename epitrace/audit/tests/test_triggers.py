"""The database itself refuses to rewrite or remove the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from epitrace.audit import services
from epitrace.audit.checkpoints import do_checkpoint
from epitrace.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditLedger
from epitrace.testing.personas import Personas


@pytest.fixture
def trail(personas: Personas) -> AuditEvent:
    services.record_read(personas.a.tracer, personas.a.person)
    event = services.record_read(personas.a.tracer, personas.a.person)
    do_checkpoint()
    return event


def _refused(change: Callable[[], Any]) -> None:
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        change()


def test_events_cannot_be_updated_or_deleted(trail: AuditEvent) -> None:
    events = AuditEvent.objects.filter(pk=trail.pk)
    _refused(lambda: events.update(reason="edited"))
    _refused(lambda: AuditEvent.objects.all().delete())
    trail.refresh_from_db()
    assert trail.reason == ""


def test_checkpoints_and_the_ledger_cannot_be_updated_or_deleted(trail: AuditEvent) -> None:
    _refused(lambda: AuditCheckpoint.objects.update(seq=1))
    _refused(lambda: AuditCheckpoint.objects.all().delete())
    _refused(lambda: AuditLedger.objects.update(ledger="other"))
    _refused(lambda: AuditLedger.objects.all().delete())


def test_heads_only_move_forward(trail: AuditEvent) -> None:
    heads = AuditChainHead.objects.filter(chain=trail.chain)
    _refused(lambda: heads.update(last_seq=1))
    _refused(lambda: heads.update(chain="elsewhere"))
    _refused(lambda: heads.delete())
    heads.update(last_seq=trail.seq)  # the writers' own update stays possible
