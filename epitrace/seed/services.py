"""``epitrace seed``: fill a database with a realistic synthetic state.

Batched (one transaction per batch of cases) so a million cases run in
constant memory; bulk writes use COPY on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count

from epitrace.accounts.models import User
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.jurisdictions.services import do_load_jurisdictions, read_jurisdiction_csv
from epitrace.labs.models import LabResult
from epitrace.lib.progress import Progress
from epitrace.people.models import ContactPoint, Person, PersonIdentifier
from epitrace.queues.models import WorkItem
from epitrace.seed.accounts import DemoLogin, StaffSeeder
from epitrace.seed.feed import send_demo_feed
from epitrace.seed.generator import Generator
from epitrace.seed.queue import queue_work
from epitrace.seed.world import DATA, load_world
from epitrace.seed.writer import BulkWriter

DEMO_STATE_FILE = DATA / "jurisdictions" / "data" / "demo_state.csv"
DEMO_STATE_NAME = "Demo State Department of Public Health"
TABLES = {
    "person": Person,
    "contactpoint": ContactPoint,
    "personidentifier": PersonIdentifier,
    "case": Case,
    "exposure": Exposure,
    "labresult": LabResult,
}


@dataclass
class SeedSummary:
    cases: int = 0
    persons: int = 0
    exposures: int = 0
    lab_results: int = 0
    users: int = 0
    work_items: int = 0
    lab_messages: int = 0
    seconds: float = 0.0
    logins: list[DemoLogin] = field(default_factory=list)


def ensure_demo_jurisdictions() -> None:
    """Load the demo state's LHDs and towns when only the root exists."""
    if Jurisdiction.objects.filter(parent__isnull=False).exists():
        return
    root = Jurisdiction.objects.root()
    do_load_jurisdictions(
        read_jurisdiction_csv(DEMO_STATE_FILE),
        state_code=root.state_code,
        state_name=DEMO_STATE_NAME,
    )
    # Fictional 555-01xx numbers, so the demo's letters have a number to give.
    departments = Jurisdiction.objects.filter(phone="").order_by("path")
    for number, jurisdiction in enumerate(departments, start=100):
        jurisdiction.phone = f"+1860555{number:04d}"
        jurisdiction.save(update_fields=["phone"])


def featured_jurisdictions() -> tuple[Jurisdiction, Jurisdiction]:
    """The two biggest LHDs: the demo logins live there."""
    biggest = list(
        Jurisdiction.objects.filter(parent__isnull=False)
        .annotate(zips=Count("towns__postal_codes"))
        .order_by("-zips", "code")[:2]
    )
    if len(biggest) < 2:
        raise RuntimeError("the demo needs at least two local health departments")
    return biggest[0], biggest[1]


def demo_logins() -> list[DemoLogin]:
    return StaffSeeder()._logins(*featured_jurisdictions())


def run_seed(
    *,
    seed: int,
    cases: int,
    anchor: dt.date,
    days: int = 120,
    batch_size: int = 2000,
    show_progress: bool = True,
    demo_feed: bool = False,
) -> SeedSummary:
    started = time.monotonic()
    ensure_demo_jurisdictions()
    featured, neighbour = featured_jurisdictions()
    with transaction.atomic():
        logins = StaffSeeder().seed(featured, neighbour)
    writer = BulkWriter()
    generator = Generator(
        load_world(),
        seed=seed,
        anchor=anchor,
        days=days,
        next_ids={name: writer.next_id(model) for name, model in TABLES.items()},
    )
    summary = SeedSummary(logins=logins, users=User.objects.filter(is_system=False).count())
    progress = Progress(cases, "seeding cases") if show_progress else None
    dates = generator.report_days(cases)
    for start in range(0, len(dates), batch_size):
        chunk = dates[start : start + batch_size]
        batch = generator.make_batch(chunk)
        with transaction.atomic():
            for rows, model in [
                (batch.persons, Person),
                (batch.contact_points, ContactPoint),
                (batch.identifiers, PersonIdentifier),
                (batch.cases, Case),
                (batch.exposures, Exposure),
                (batch.labs, LabResult),
            ]:
                writer.write(model, rows)
            writer.update(
                Exposure, batch.exposure_updates, ["monitoring_status", "resulting_case_id"]
            )
            summary.work_items += queue_work(batch, writer, generator.anchor_time)
        summary.cases += len(batch.cases)
        summary.persons += len(batch.persons)
        summary.exposures += len(batch.exposures)
        summary.lab_results += len(batch.labs)
        if progress:
            progress.advance(len(chunk))
    if progress:
        progress.finish()
    writer.reset_sequences(list(TABLES.values()))
    writer.analyze([*TABLES.values(), WorkItem])
    if demo_feed:
        summary.lab_messages = send_demo_feed(seed, anchor).received
    summary.seconds = round(time.monotonic() - started, 1)
    return summary
