"""Retention purge: personal data erased, counts kept, the audit still verifies."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.audit.models import AuditEvent
from epitrace.audit.services import record_read
from epitrace.audit.verify import verify
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.people.models import ContactPoint, Person
from epitrace.people.purge import do_purge, purgeable
from epitrace.testing.personas import Personas

LONG_AGO = timezone.now() - dt.timedelta(days=800)
CUTOFF = timezone.localdate() - dt.timedelta(days=365)


def close_side(side: object) -> None:
    case = side.case  # type: ignore[attr-defined]
    Case.objects.filter(pk=case.pk).update(status="closed", closed_at=LONG_AGO)
    Exposure.objects.filter(case=case).update(monitoring_status="completed")
    # Their lab results came in long ago too.
    from epitrace.labs.models import LabResult

    LabResult.objects.filter(person__in=[case.person_id, side.contact.pk]).update(  # type: ignore[attr-defined]
        imported_at=LONG_AGO
    )


def test_only_records_closed_before_the_cutoff_are_purged(personas: Personas, tmp_path) -> None:
    close_side(personas.a)
    record_read(personas.a.tracer, personas.a.person)
    assert set(purgeable(CUTOFF).values_list("pk", flat=True)) == {
        personas.a.person.pk,
        personas.a.contact.pk,
    }
    summary = do_purge(CUTOFF, acting_user=system_user())
    assert summary.persons == 2
    person = Person.objects.get(pk=personas.a.person.pk)
    assert (person.given_name, person.family_name, person.birth_date, person.street) == (
        "",
        "",
        None,
        "",
    )
    assert person.purged_at is not None
    assert not ContactPoint.objects.filter(person=person).exists()
    # De-identified counts survive: the case, its disease, week and jurisdiction.
    case = Case.objects.get(pk=personas.a.case.pk)
    assert (case.person_id, case.disease.code, case.jurisdiction) == (
        person.pk,
        "covid-19",
        personas.a.jurisdiction,
    )
    # LHD-B's open case is untouched.
    assert Person.objects.get(pk=personas.b.person.pk).family_name == "Brzezinski"
    # The audit keeps its events, loses the personal payloads, and still verifies.
    assert AuditEvent.objects.filter(action="purge").exists()
    assert verify(tmp_path / "none.log").ok


def test_open_records_are_kept(personas: Personas) -> None:
    assert not purgeable(CUTOFF).exists()


@pytest.mark.django_db
def test_command_dry_run_and_json(personas: Personas) -> None:
    close_side(personas.a)
    out = StringIO()
    call_command("purge", "--closed-before", CUTOFF.isoformat(), "--dry-run", "--json", stdout=out)
    result = json.loads(out.getvalue().splitlines()[-1])
    assert result["persons"] == 2
    assert result["dry_run"] is True
    assert Person.objects.get(pk=personas.a.person.pk).family_name == "Alvarez"
