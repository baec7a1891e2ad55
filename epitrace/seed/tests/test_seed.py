import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from epitrace.accounts.models import Membership
from epitrace.accounts.roles import Role
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.labs.models import LabResult
from epitrace.people.models import ContactPoint, Person
from epitrace.seed.generator import Generator
from epitrace.seed.services import ensure_demo_jurisdictions, run_seed
from epitrace.seed.world import load_world

pytestmark = pytest.mark.django_db
ANCHOR = dt.date(2026, 3, 31)


def test_generation_is_deterministic():
    ensure_demo_jurisdictions()
    world = load_world()
    ids = dict.fromkeys(
        ["person", "contactpoint", "personidentifier", "case", "exposure", "labresult"], 1
    )

    def names(seed: int) -> list[tuple[str, str, str]]:
        gen = Generator(world, seed=seed, anchor=ANCHOR, days=60, next_ids=ids)
        batch = gen.make_batch(gen.report_days(40))
        return [(p["given_name"], p["family_name"], p["street"]) for p in batch.persons]

    assert names(7) == names(7)
    assert names(7) != names(8)


def test_seed_builds_a_realistic_state():
    summary = run_seed(
        seed=3, cases=300, anchor=ANCHOR, days=90, batch_size=120, show_progress=False
    )
    assert Case.objects.count() == summary.cases == 300
    # Every role has users, across the state and its LHDs.
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert Membership.objects.values("jurisdiction").distinct().count() > 60
    # Cases over the period, each with a positive lab; negatives kept too.
    assert Case.objects.filter(report_date__gt=ANCHOR).count() == 0
    assert Case.objects.filter(report_date__lte=ANCHOR - dt.timedelta(days=60)).exists()
    positive = LabResult.objects.filter(interpretation="positive", case__isnull=False)
    assert positive.values("case").distinct().count() == 300
    assert LabResult.objects.filter(interpretation="negative").exists()
    # Several languages, households sharing a phone, minors with guardians.
    assert Person.objects.values("preferred_language").distinct().count() >= 5
    shared = ContactPoint.objects.filter(kind="phone").values("value").annotate(n=Count("id"))
    assert shared.filter(n__gt=1).exists()
    minors = Person.objects.filter(birth_date__gt=ANCHOR - dt.timedelta(days=18 * 365 + 5))
    assert minors.exists()
    assert not minors.filter(guardian__isnull=True).exists()
    # Contacts, some elsewhere, some who became cases (a transmission chain).
    assert Exposure.objects.exclude(jurisdiction=F("case__jurisdiction")).exists()
    assert Exposure.objects.filter(
        resulting_case__isnull=False, monitoring_status="became_case"
    ).exists()
    # Cases sit in the jurisdiction of residence.
    assert not Case.objects.exclude(jurisdiction=F("person__jurisdiction")).exists()


def test_the_demo_feed_goes_through_the_real_pipeline() -> None:
    from epitrace.labs.models import RawMessage

    summary = run_seed(
        seed=3, cases=20, anchor=ANCHOR, days=30, show_progress=False, demo_feed=True
    )
    assert summary.lab_messages == 46
    assert RawMessage.objects.filter(source="demo feed", state="processed").count() == 43
    assert RawMessage.objects.filter(source="demo feed", state="rejected").count() == 2
    assert Person.objects.filter(address_status="out_of_state").exists()


def test_quarantine_end_comes_from_the_profile():
    run_seed(seed=5, cases=40, anchor=ANCHOR, days=30, show_progress=False)
    exposure = Exposure.objects.filter(ongoing=False).select_related("case__profile").first()
    assert exposure is not None
    days = exposure.case.profile.parameters["quarantine_days"]
    assert exposure.quarantine_end == exposure.last_exposure_date + dt.timedelta(days=days)


def test_seed_command_json_and_if_empty():
    out = StringIO()
    call_command("seed", "--cases", "20", "--anchor", "2026-03-31", "--json", stdout=out)
    result = json.loads(out.getvalue().splitlines()[-1])
    assert result["cases"] == 20
    assert result["logins"]
    out = StringIO()
    call_command("seed", "--cases", "20", "--if-empty", "--json", stdout=out)
    assert json.loads(out.getvalue().splitlines()[-1])["skipped"] is True
    assert Case.objects.count() == 20


def test_seed_fills_the_work_queue():
    from django.utils import timezone

    from epitrace.queues.models import WorkItem

    summary = run_seed(seed=3, cases=200, anchor=timezone.localdate(), days=30, show_progress=False)
    assert summary.work_items == WorkItem.objects.count()
    # Every open case still to investigate has its item; closed or finished ones none.
    to_do = Case.objects.filter(
        status="open", investigation_status__in=["new", "in_progress", "attempted"]
    )
    investigated = WorkItem.objects.filter(kind="investigation", state="open")
    assert to_do.exists()
    assert set(investigated.values_list("case_id", flat=True)) == set(
        to_do.values_list("pk", flat=True)
    )
    assert not investigated.exclude(queue=F("case__jurisdiction")).exists()
    # Contacts not yet reached wait for their notification, in their own jurisdiction.
    notifications = WorkItem.objects.filter(kind="notification")
    assert notifications.exists()
    assert not notifications.exclude(exposure__case__status="open").exists()
    assert not notifications.exclude(jurisdiction=F("exposure__jurisdiction")).exists()
    # Scored: the most urgent item is a recent specimen.
    top = investigated.order_by("-priority").select_related("case").first()
    assert top is not None
    assert top.case is not None
    assert top.case.specimen_date is not None
    assert (timezone.localdate() - top.case.specimen_date).days <= 4
    # The work already done: one item per finished investigation, with its outcome.
    finished = Case.objects.exclude(investigation_status__in=["new", "in_progress", "attempted"])
    done = WorkItem.objects.filter(state="done")
    assert done.count() == finished.count() > 0
    assert not done.filter(outcome="").exists()
