"""epitrace rules check FILE.jsonl [--verify] [--json]

Evaluates rule scenarios (one JSON object per line, the format of
../shared/testdata/rules/saraalert/SCENARIOS.md) with the named disease
profile as stored in the database, and prints one compact JSON object per
scenario: ``{"id": ..., <every output>}``. A line that cannot be read, or
names an unknown profile, prints ``{"id": ..., "error": ...}`` and is
reported on standard error; the others still run.

Without ``--verify`` the command exits 0 once every line was handled. With
``--verify`` it compares the keys each scenario ``expected``, names every
difference (line, id, key, expected, got) on standard error, and exits 1 if
any scenario differs or was rejected. ``--json`` ends the output with one
summary object. ``FILE`` may be ``-`` for standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from epitrace.core.commands import EpitraceCommand
from epitrace.diseases.rules.params import ProfileError, RuleParameters, parameters_of
from epitrace.diseases.rules.records import UnknownProfile, profile_by_key
from epitrace.diseases.rules.scenario import Scenario, ScenarioError, compare, evaluate, parse
from epitrace.jurisdictions.models import Jurisdiction


@dataclass
class Tally:
    scenarios: int = 0
    rejected: int = 0
    mismatched: int = 0
    checked: int = 0
    failures: list[str] = field(default_factory=list)


class Command(EpitraceCommand):
    help = "Evaluate rule scenarios (JSON lines) with the stored disease profiles."
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        check = subcommands.add_parser("check", help="evaluate a file of scenarios")
        check.add_argument("file", help="scenarios, one JSON object per line ('-': stdin)")
        check.add_argument(
            "--verify", action="store_true", help="compare with 'expected'; exit 1 on a difference"
        )
        # Accepted after the subcommand too; SUPPRESS keeps the top-level value.
        check.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        self.profiles: dict[str, RuleParameters | str] = {}
        self.default_zone = _default_zone()
        verify = bool(options["verify"])
        tally = Tally()
        with _lines(options["file"]) as lines:
            for number, line in _numbered(lines):
                self._check_line(number, line, verify, tally)
        self._summarise(tally, verify, bool(options.get("json")))
        if verify and (tally.rejected or tally.mismatched):
            raise CommandError(
                f"{tally.mismatched} scenario(s) differ from 'expected', {tally.rejected} rejected",
                returncode=1,
            )

    def _check_line(self, number: int, line: str, verify: bool, tally: Tally) -> None:
        tally.scenarios += 1
        scenario: Scenario | None = None
        try:
            scenario = parse(line, default_zone=self.default_zone)
            outcome = evaluate(self._parameters(scenario.profile), scenario.situation)
        except ScenarioError as exc:
            self._reject(number, scenario.id if scenario else _raw_id(line), str(exc), tally)
            return
        self._emit({"id": scenario.id, **outcome})
        if verify and scenario.expected:
            tally.checked += 1
            differences = compare(scenario.expected, outcome)
            for key, want, got in differences:
                self.stderr.write(
                    f"line {number}, id {scenario.id}: {key} expected "
                    f"{json.dumps(want)}, got {json.dumps(got)}"
                )
            if differences:
                tally.mismatched += 1
                tally.failures.append(str(scenario.id))

    def _parameters(self, key: str) -> RuleParameters:
        """The profile's checked rules, read once per run; a bad profile rejects its lines."""
        if key not in self.profiles:
            try:
                self.profiles[key] = parameters_of(profile_by_key(key))
            except (UnknownProfile, ProfileError) as exc:
                self.profiles[key] = str(exc)
        found = self.profiles[key]
        if isinstance(found, str):
            raise ScenarioError(found)
        return found

    def _reject(self, number: int, scenario_id: str | None, reason: str, tally: Tally) -> None:
        tally.rejected += 1
        label = f", id {scenario_id}" if scenario_id is not None else ""
        self.stderr.write(f"line {number}{label}: {reason}")
        self._emit({"id": scenario_id, "error": reason})

    def _emit(self, row: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(row, separators=(",", ":")))

    def _summarise(self, tally: Tally, verify: bool, as_json: bool) -> None:
        evaluated = tally.scenarios - tally.rejected
        text = f"rules check: {tally.scenarios} scenarios, {evaluated} evaluated"
        text += f", {tally.rejected} rejected"
        if verify:
            text += f"; verified {tally.checked}: {tally.checked - tally.mismatched} as expected"
            text += f", {tally.mismatched} different"
        self.stderr.write(text)
        if as_json:
            self.emit_json(
                {
                    "ok": not (verify and (tally.rejected or tally.mismatched)),
                    "scenarios": tally.scenarios,
                    "evaluated": evaluated,
                    "rejected": tally.rejected,
                    "verified": tally.checked if verify else None,
                    "different": tally.mismatched if verify else None,
                    "different_ids": tally.failures,
                }
            )


@contextmanager
def _lines(name: str) -> Iterator[Iterable[str]]:
    """The scenario file, or standard input for "-"; unreadable is the command failing."""
    if name == "-":
        yield sys.stdin
        return
    try:
        # Only the opening is guarded here; the with below closes the file.
        handle = Path(name).open(encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise CommandError(f"cannot read {name}: {exc.strerror}", returncode=1) from None
    with handle:
        yield handle


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    try:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line
    except UnicodeDecodeError as exc:
        raise CommandError(f"the scenario file is not UTF-8: {exc.reason}", returncode=1) from None


def _raw_id(line: str) -> str | None:
    """The id of a line that failed to parse, if it has a readable one."""
    try:
        value = json.loads(line).get("id")
    except (ValueError, AttributeError):
        return None
    return None if value is None else str(value)


def _default_zone() -> str:
    """Dates are local to the person; a scenario without a zone takes the state's."""
    root = Jurisdiction.objects.filter(parent__isnull=True).values_list("time_zone", flat=True)
    return root.first() or settings.TIME_ZONE
