"""Django's flush (used between transactional tests) still empties the audit tables."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from epitrace.audit import services
from epitrace.audit.models import AuditEvent, AuditLedger, AuditPayload
from epitrace.core.reference import ensure_reference_data
from epitrace.testing.personas import Personas


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    # A transactional test starts from whatever the previous one flushed.
    ensure_reference_data()


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_tables(personas: Personas) -> None:
    services.record("export", actor=personas.state_epi, obj=personas.a.person, payload={"rows": 1})
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    assert not AuditPayload.objects.exists()
    assert not AuditLedger.objects.exists()
