"""epitrace load_jurisdictions FILE.csv --state-code CT [--state-name NAME] [--json]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from epitrace.core.commands import EpitraceCommand
from epitrace.jurisdictions.services import (
    JurisdictionFileError,
    do_load_jurisdictions,
    read_jurisdiction_csv,
)


class Command(EpitraceCommand):
    json_output = True

    help = "Load or update the state's local health departments, towns and ZIP codes from a CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file", type=Path)
        parser.add_argument("--state-code", required=True, help="USPS code, e.g. CT")
        parser.add_argument("--state-name", help="Name of the state health department")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = read_jurisdiction_csv(options["file"])
            summary = do_load_jurisdictions(
                rows, state_code=options["state_code"].upper(), state_name=options["state_name"]
            )
        except (OSError, JurisdictionFileError) as exc:
            raise CommandError(str(exc)) from exc
        result = {
            "jurisdictions": summary.jurisdictions,
            "towns": summary.towns,
            "postcodes": summary.postcodes,
        }
        if options["json"]:
            self.emit_json(result)
        else:
            self.stdout.write(
                f"Loaded {summary.jurisdictions} jurisdictions, {summary.towns} towns, "
                f"{summary.postcodes} ZIP codes."
            )
