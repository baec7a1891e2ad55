"""epitrace match A.csv [--against B.csv] --out pairs.csv [--map ours=theirs,...]
[--fit-model MODEL.json] [--json]

Partner linkage with the matcher the importer uses (docs/matching.md):
duplicates within A, or pairs across A and B, written as
``id_a,id_b,score,decision`` for the pairs decided ``match`` or ``review``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from epitrace.core.commands import EpitraceCommand
from epitrace.lib.progress import Progress
from epitrace.people.linkage import csvio, stored
from epitrace.people.linkage.linker import MATCH, REVIEW, Link, Thresholds, link


class Command(EpitraceCommand):
    help = (
        "Find the same persons within a CSV file, or across two, with the person matcher. "
        "Writes id_a,id_b,score,decision for pairs decided match or review."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file_a", metavar="A.csv", help="persons, with a header line")
        parser.add_argument("--against", metavar="B.csv", help="link A to B instead of within A")
        parser.add_argument("--out", metavar="PAIRS.csv", required=True, help="pairs to write")
        parser.add_argument(
            "--map",
            dest="column_map",
            metavar="OURS=THEIRS,...",
            help="column names of the input, e.g. given_name=first,street=number+line1",
        )
        parser.add_argument("--match-above", type=float, default=MATCH, help=f"default {MATCH}")
        parser.add_argument("--review-above", type=float, default=REVIEW, help=f"default {REVIEW}")
        parser.add_argument(
            "--fit-model",
            metavar="MODEL.json",
            help="also save the fitted model for the importer (dedup runs only; docs/matching.md)",
        )

    def _resolve_user(self, username: str | None) -> Any:
        # Matching two files reads no personal data from the database, so
        # without --user the command needs no database at all (a partner's
        # files can be linked on a machine that never ran migrate).
        return super()._resolve_user(username) if username else None

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        thresholds = self._thresholds(options)
        file_a = Path(options["file_a"])
        file_b = Path(options["against"]) if options["against"] else None
        out = Path(options["out"])
        try:
            mapping = csvio.parse_map(options["column_map"])
            inputs = [path for path in (file_a, file_b) if path]
            headers = [csvio.read_header(path) for path in inputs]
            csvio.check_map(mapping, headers)
            persons = [csvio.read_persons(path, mapping) for path in inputs]
        except csvio.UsageError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except csvio.InputError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        for person_file in persons:
            self._describe(person_file)

        a = persons[0]
        b = persons[1] if len(persons) > 1 else None
        result = link(
            a.records,
            b.records if b else None,
            thresholds=thresholds,
            progress=lambda total: Progress(total, "comparing pairs").advance,
        )
        ids_b = b.ids if b else a.ids
        if options["fit_model"]:
            if b is not None:
                raise CommandError("--fit-model needs a dedup run (no --against)", returncode=2)
            stored.dump(result.model, len(a.records), Path(options["fit_model"]))
        try:
            csvio.write_pairs(out, _rows(result.links, a.ids, ids_b))
        except OSError as exc:
            raise CommandError(f"{out}: cannot write ({exc})", returncode=1) from exc

        summary = {
            "mode": "link" if b else "dedup",
            "records_a": len(a.records),
            "records_b": len(b.records) if b else 0,
            "candidate_pairs": result.candidate_pairs,
            "matches": result.counts["match"],
            "reviews": result.counts["review"],
            "identifier_matches": sum(1 for found in result.links if found.rule == "identifier"),
            "em_iterations": result.iterations,
            "seconds": round(time.monotonic() - started, 3),
            "out": str(out),
        }
        if options["json"]:
            self.emit_json(summary)
        else:
            self.stdout.write(
                f"{summary['matches']:,} matches and {summary['reviews']:,} pairs to review "
                f"among {summary['candidate_pairs']:,} candidate pairs, written to {out} "
                f"({summary['seconds']} s)."
            )

    def _thresholds(self, options: dict[str, Any]) -> Thresholds:
        match, review = options["match_above"], options["review_above"]
        if not 0 < review <= match <= 1:
            raise CommandError(
                "thresholds must satisfy 0 < --review-above <= --match-above <= 1", returncode=2
            )
        return Thresholds(match=match, review=review)

    def _describe(self, person_file: csvio.PersonFile) -> None:
        """Which columns were used: a silently ignored column is the usual
        reason for poor results on a partner's file."""
        used = ", ".join(
            ours if [ours] == theirs else f"{ours}={'+'.join(theirs)}"
            for ours, theirs in person_file.columns.items()
        )
        self.stderr.write(
            f"{person_file.path}: {len(person_file.records):,} persons; columns: {used or 'none'}"
        )
        if person_file.skipped_rows:
            self.stderr.write(
                f"{person_file.path}: {person_file.skipped_rows:,} empty rows skipped"
            )


def _rows(
    links: list[Link], ids_a: list[str], ids_b: list[str]
) -> list[tuple[str, str, float, str]]:
    # File order: within one file the earlier record is always id_a.
    ordered = sorted(links, key=lambda found: (found.a, found.b))
    return [(ids_a[f.a], ids_b[f.b], f.score, f.decision) for f in ordered]
