"""The benchmark's data: cases and their queue, bench tracers, their sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import login
from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone

from epitrace.accounts.mfa import demo_totp_secret, enrol_totp
from epitrace.accounts.models import Membership, StaffSession, User
from epitrace.accounts.roles import Role
from epitrace.audit.models import AuditChainHead
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.labs.models import LabResult
from epitrace.lib.progress import Progress
from epitrace.people.models import ContactPoint, Person, PersonIdentifier
from epitrace.queues import services
from epitrace.queues.choices import Kind, State
from epitrace.queues.models import ClaimLog, WorkItem
from epitrace.queues.refresh import backfill_open_cases
from epitrace.queues.sync import INVESTIGATION_TO_DO
from epitrace.seed.accounts import StaffSeeder
from epitrace.seed.services import ensure_demo_jurisdictions, run_seed
from epitrace.seed.writer import BulkWriter

PREFIX = "bench.tracer"
BACKEND = "epitrace.accounts.backends.AuthenticationBackend"
# A share of bench tracers speak Spanish or Portuguese too, as the seeded staff do.
LANGUAGES = ["en", "en", "en,es", "en", "en,pt", "en", "en,es", "en"]


@dataclass(frozen=True)
class BenchTracer:
    username: str
    jurisdiction: str
    session_key: str


def ensure_cases(wanted: int, seed: int) -> int:
    """Seed the missing cases (with their queue); returns how many were added."""
    ensure_demo_jurisdictions()
    missing = wanted - Case.objects.count()
    if missing <= 0:
        return 0
    run_seed(seed=seed, cases=missing, anchor=timezone.localdate(), show_progress=True)
    return missing


def ensure_queue() -> int:
    """Give every open case still to investigate its item (a database filled before the queue)."""
    lacking = (
        Case.objects.filter(status="open", investigation_status__in=INVESTIGATION_TO_DO)
        .exclude(
            Exists(
                WorkItem.objects.filter(case=OuterRef("pk"), kind=Kind.INVESTIGATION).exclude(
                    state=State.CANCELLED
                )
            )
        )
        .exists()
    )
    if not lacking:
        return 0
    total = Case.objects.filter(status="open").count()
    progress = Progress(total, "queueing open cases")
    done = backfill_open_cases(progress=progress.advance)
    progress.finish()
    return done


def lhd_shares(count: int) -> list[Jurisdiction]:
    """``count`` LHDs, one per tracer, in proportion to each LHD's waiting items."""
    waiting = dict(
        WorkItem.objects.filter(state=State.OPEN)
        .exclude(queue__parent__isnull=True)
        .order_by()
        .values("queue_id")
        .annotate(n=Count("id"))
        .values_list("queue_id", "n")
    )
    lhds = list(Jurisdiction.objects.filter(pk__in=waiting).order_by("code"))
    if not lhds:
        raise RuntimeError("no LHD has waiting work items: nothing to benchmark")
    total = sum(waiting.values())
    # Largest remainder: every LHD with work gets its fair share of tracers.
    exact = {j.pk: count * waiting[j.pk] / total for j in lhds}
    shares = {pk: int(x) for pk, x in exact.items()}
    for pk in sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)[
        : count - sum(shares.values())
    ]:
        shares[pk] += 1
    return [j for j in lhds for _ in range(shares[j.pk])]


def ensure_tracers(count: int) -> list[User]:
    """Bench tracers 1..count, each a tracer of one LHD; earlier claims given back."""
    seeder = StaffSeeder()
    users = []
    for number, lhd in enumerate(lhd_shares(count), start=1):
        user = seeder.user(f"{PREFIX}{number:03d}", f"Bench Tracer {number}")
        # Active again if an earlier run with fewer tracers left it out.
        user.languages, user.is_active = LANGUAGES[number % len(LANGUAGES)], True
        user.save(update_fields=["languages", "is_active"])
        Membership.objects.filter(user=user).exclude(jurisdiction=lhd).delete()
        seeder.member(user, lhd, Role.TRACER)
        users.append(user)
    stale = User.objects.filter(username__startswith=PREFIX).exclude(pk__in=[u.pk for u in users])
    stale.update(is_active=False)
    # An authenticator app each, as every staff member has (the demo's derived secrets).
    enrolled = set(
        Authenticator.objects.filter(user__in=users, type=Authenticator.Type.TOTP).values_list(
            "user_id", flat=True
        )
    )
    for user in users:
        if user.pk not in enrolled:
            enrol_totp(user, demo_totp_secret(user.username))
    for item in WorkItem.objects.filter(state=State.CLAIMED, claimed_by__in=users):
        services.release_item(item, item.claimed_by)
    return users


def sign_in(users: Sequence[User]) -> list[BenchTracer]:
    """A real session per tracer: Django's login, then allauth's password and MFA records.

    The same steps as a sign-in through the forms, without typing a TOTP
    code: the middleware then treats the session as two-factor verified.
    """
    engine = import_module(settings.SESSION_ENGINE)
    tracers = []
    names = dict(
        Membership.objects.filter(user__in=users).values_list("user_id", "jurisdiction__code")
    )
    for user in users:
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        request.session = engine.SessionStore()
        login(request, user, backend=BACKEND)
        record_authentication(request, user, "password", username=user.get_username())
        record_authentication(request, user, "mfa", type=Authenticator.Type.TOTP)
        request.session.save()
        key = request.session.session_key
        assert key is not None
        tracers.append(BenchTracer(user.username, names[user.pk], key))
    return tracers


def analyze() -> None:
    """Planner statistics and dead rows as autovacuum keeps them in production (it may
    be off here).

    A run updates tens of thousands of work items, claims and sessions: with
    autovacuum off, their dead row versions would pile up from run to run, and
    each run would pay for the ones before it.
    """
    BulkWriter().analyze(
        [Case, Person, ContactPoint, PersonIdentifier, Exposure, LabResult, WorkItem, ClaimLog]
    )
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return  # VACUUM runs outside a transaction only
    with connection.cursor() as cursor:
        for model in (WorkItem, ClaimLog, StaffSession, AuditChainHead, User):
            cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")


def queue_figures() -> dict[str, Any]:
    return {
        "cases": Case.objects.count(),
        "work_items": WorkItem.objects.count(),
        "open_items": WorkItem.objects.filter(state=State.OPEN).count(),
    }
