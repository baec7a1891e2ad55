"""epitrace seed [--seed N] [--cases N] [--anchor DATE] [--if-empty] [--json]"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from epitrace.cases.models import Case
from epitrace.core.commands import EpitraceCommand
from epitrace.seed.accounts import DEMO_PASSWORD
from epitrace.seed.services import demo_logins, ensure_demo_jurisdictions, run_seed


class Command(EpitraceCommand):
    json_output = True

    help = (
        "Fill the database with deterministic synthetic data: a state with its local health "
        "departments, towns and ZIP codes, staff for every role, cases over an epidemic curve, "
        "households, contacts and lab results."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--cases", type=int, default=3000, help="number of cases (default 3000)"
        )
        parser.add_argument(
            "--anchor",
            type=dt.date.fromisoformat,
            default=None,
            help="last day of the epidemic curve, YYYY-MM-DD (default today)",
        )
        parser.add_argument("--days", type=int, default=120, help="length of the curve in days")
        parser.add_argument("--batch", type=int, default=2000, help="cases per transaction")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if cases exist")
        parser.add_argument(
            "--demo-feed",
            action="store_true",
            help="also send a small synthetic lab feed through the import pipeline",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cases"] < 0 or options["days"] < 1 or options["batch"] < 1:
            raise CommandError("--cases must be >= 0, --days and --batch >= 1")
        if options["if_empty"] and Case.objects.exists():
            ensure_demo_jurisdictions()
            result: dict[str, Any] = {"skipped": True, "logins": [asdict(x) for x in demo_logins()]}
            self._report(result, options["json"])
            return
        summary = run_seed(
            seed=options["seed"],
            cases=options["cases"],
            anchor=options["anchor"] or timezone.localdate(),
            days=options["days"],
            batch_size=options["batch"],
            show_progress=True,
            demo_feed=options["demo_feed"],
        )
        result = {"skipped": False, **asdict(summary)}
        self._report(result, options["json"])

    def _report(self, result: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self.emit_json(result)
            return
        if not result["skipped"]:
            self.stdout.write(
                f"Seeded {result['cases']:,} cases, {result['persons']:,} persons, "
                f"{result['exposures']:,} exposures, {result['lab_results']:,} lab results "
                f"and {result['users']:,} staff users in {result['seconds']}s."
            )
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for login in result["logins"]:
            self.stdout.write(
                f"  {login['username']:<28} {login['role']:<30} {login['jurisdiction']}"
            )
