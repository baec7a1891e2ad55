"""epitrace audit verify [--json] | epitrace audit checkpoint [--json]

``verify`` recomputes every chain, checks heads, payloads and the signed
checkpoints (table and file), prints each problem naming the chain, sequence
number and event id, and exits 1 when anything was tampered with.
``checkpoint`` signs the heads that moved and appends them to the file (the
job worker does it every minute).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from epitrace.audit import conf
from epitrace.audit.checkpoints import do_checkpoint
from epitrace.audit.verify import verify
from epitrace.core.commands import EpitraceCommand


class Command(EpitraceCommand):
    help = "Verify the tamper-evident audit trail, or sign and checkpoint its chain heads."
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        check = subcommands.add_parser("verify", help="check every chain; exit 1 on tampering")
        check.add_argument(
            "--checkpoint-file", type=Path, help="the checkpoint file (default: from settings)"
        )
        seal = subcommands.add_parser("checkpoint", help="sign the chain heads that moved")
        for sub in (check, seal):
            # Accepted after the subcommand too; SUPPRESS keeps the top-level value.
            sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify(options)
        else:
            self._checkpoint(options)

    def _verify(self, options: dict[str, Any]) -> None:
        report = verify(options.get("checkpoint_file"))
        for problem in report.problems:
            self.stdout.write(str(problem))
        count = len(report.problems)
        state = "intact" if report.ok else f"{count} problem{'s' if count != 1 else ''} found"
        self.stdout.write(
            f"audit verify: {state}; {report.events} events in {report.chains} chains, "
            f"{report.checkpoints} checkpoints, {report.erased_payloads} erased payloads"
        )
        if options.get("json"):
            self.emit_json(report.as_dict())
        if not report.ok:
            raise CommandError("the audit trail failed verification", returncode=1)

    def _checkpoint(self, options: dict[str, Any]) -> None:
        signed = do_checkpoint()
        path = conf.checkpoint_file()
        self.stdout.write(f"audit checkpoint: signed {len(signed)} chain heads into {path}")
        if options.get("json"):
            self.emit_json({"ok": True, "signed": len(signed), "file": str(path)})
