"""epitrace purge --closed-before DATE [--dry-run] [--json]"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from epitrace.core.commands import EpitraceCommand
from epitrace.people.purge import do_purge


class Command(EpitraceCommand):
    help = (
        "Erase the personal data of persons whose records all closed before DATE, keeping "
        "de-identified rows for counts. Audited; the audit chain stays verifiable."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--closed-before", required=True, type=dt.date.fromisoformat)
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff: dt.date = options["closed_before"]
        if cutoff > timezone.localdate():
            raise CommandError("--closed-before cannot be in the future")
        summary = do_purge(cutoff, acting_user=self.acting_user, dry_run=options["dry_run"])
        result = {
            "closed_before": cutoff.isoformat(),
            "dry_run": options["dry_run"],
            **asdict(summary),
        }
        if options["json"]:
            self.emit_json(result)
        else:
            verb = "Would purge" if options["dry_run"] else "Purged"
            self.stdout.write(
                f"{verb} {summary.persons:,} persons ({summary.contact_points:,} contact points, "
                f"{summary.identifiers:,} identifiers, {summary.raw_messages:,} raw messages)."
            )
