"""epitrace export lab-results [--format csv|json] [--since DATE] [--out FILE] [--user U]"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from epitrace.core.commands import EpitraceCommand
from epitrace.labs.exports import stream


class Command(EpitraceCommand):
    help = "Export stored lab results, one row per result in import order."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("what", choices=["lab-results"])
        parser.add_argument("--format", default="csv", choices=["csv", "json"])
        parser.add_argument(
            "--since", type=dt.date.fromisoformat, help="only results imported on or after DATE"
        )
        parser.add_argument("--out", help="write to this file instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            since = timezone.make_aware(dt.datetime.combine(options["since"], dt.time.min))
        chunks = stream(self.acting_user, options["format"], since)
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8", newline="") as handle:
                handle.writelines(chunks)
        else:
            for chunk in chunks:
                sys.stdout.write(chunk)
