"""epitrace import PATH... [--format auto|hl7|fhir|csv] [--map a=b,...] [--json] [--user U]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from epitrace.core.commands import EpitraceCommand
from epitrace.labs.ingest.files import import_files, settle_heap
from epitrace.labs.ingest.formats import FORMATS
from epitrace.lib.progress import Progress


class Command(EpitraceCommand):
    help = (
        "Import lab results (HL7 v2, FHIR R4 or CSV) from files: every message once, every "
        "rejected message kept with its reason."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--format", default="auto", choices=["auto", *FORMATS])
        parser.add_argument(
            "--map", default="", help="CSV columns under other names: given_name=first,..."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mapping = self._mapping(options["map"])
        progress = Progress(0, "importing", unknown_total=True)
        settle_heap()
        summary = import_files(
            options["paths"],
            actor=self.acting_user,
            fmt=options["format"],
            mapping=mapping,
            on_message=progress.advance,
        )
        progress.finish()
        result = summary.as_dict()
        if options["json"]:
            self.emit_json(result)
            return
        self.stdout.write(
            f"Received {summary.received:,} messages: {summary.accepted:,} accepted, "
            f"{summary.duplicates:,} duplicates, {summary.rejected:,} rejected. "
            f"{summary.results:,} results; {summary.persons_created:,} persons created, "
            f"{summary.persons_matched:,} matched; {summary.cases_created:,} cases opened, "
            f"{summary.cases_updated:,} updated."
        )
        for rejection in summary.rejections:
            self.stdout.write(
                f"  rejected {rejection['file']}#{rejection['index']} "
                f"{rejection['control_id'] or '-'}: {rejection['reason']}"
            )

    def _mapping(self, spec: str) -> dict[str, str] | None:
        if not spec:
            return None
        from epitrace.labs.ingest.csv import parse_mapping

        try:
            return parse_mapping(spec)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
