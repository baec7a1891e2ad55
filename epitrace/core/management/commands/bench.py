"""epitrace bench ingest --messages N [--persons N] [--json]
epitrace bench queue [--cases N] [--tracers T] [--duration S] [--json]
epitrace bench fanout --monitorees N [--kills K] [--json]

Benchmarks create the data they need when it is missing and run the product's
own code paths (cli.md). Figures go to stdout; with --json one compact object
on the last line.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError, CommandParser

from epitrace.core.commands import EpitraceCommand


class Command(EpitraceCommand):
    help = (
        "Measure hot paths: `bench ingest` (lab messages through the import pipeline), "
        "`bench queue` (tracers pressing Next over HTTP), "
        "`bench fanout` (the day's check-in SMS, with crashed dispatchers)."
    )
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="what", required=True)
        ingest = sub.add_parser("ingest", help="lab messages through the import pipeline")
        ingest.add_argument("--messages", type=int, default=10_000)
        ingest.add_argument(
            "--persons", type=int, default=1_000_000, help="persons the database must hold first"
        )
        ingest.add_argument("--seed", type=int, default=5)
        ingest.add_argument("--json", action="store_true", dest="json", help="print a JSON summary")
        queue = sub.add_parser("queue", help="tracers pressing Next over HTTP (gunicorn, locust)")
        queue.add_argument(
            "--cases", type=int, default=1_000_000, help="cases the database must hold first"
        )
        queue.add_argument("--tracers", type=int, default=200, help="simulated tracers")
        queue.add_argument("--duration", type=int, default=60, help="seconds measured")
        # Two processes per core, one thread each: two threads of a process
        # take turns on its interpreter lock, and a single process per core
        # leaves the core idle while its request waits on PostgreSQL (2 cores,
        # 200 tracers, docs/queues.md: 2 x 1 gave 58 requests/s, 3 x 1 69,
        # 4 x 1 73, 5 x 1 73).
        queue.add_argument(
            "--web-workers",
            type=int,
            default=2 * (os.cpu_count() or 1),
            help="gunicorn processes",
        )
        queue.add_argument("--threads", type=int, default=1, help="threads per gunicorn process")
        queue.add_argument("--seed", type=int, default=2026, help="seed of the cases it adds")
        queue.add_argument("--json", action="store_true", dest="json", help="print a JSON summary")
        fanout = sub.add_parser(
            "fanout", help="the day's check-in SMS to N monitorees, with crashes"
        )
        fanout.add_argument("--monitorees", type=int, default=500_000)
        fanout.add_argument("--workers", type=int, default=2, help="dispatcher processes")
        fanout.add_argument("--threads", type=int, default=8, help="requests in flight per process")
        fanout.add_argument("--batch", type=int, default=200, help="rows per claim")
        fanout.add_argument("--kills", type=int, default=3, help="times the dispatchers are killed")
        fanout.add_argument("--lease-seconds", type=int, default=30, help="dispatcher lease")
        fanout.add_argument("--json", action="store_true", dest="json", help="print a JSON summary")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "queue":
            self._queue(options)
            return
        if options["what"] == "fanout":
            self._fanout(options)
            return
        if options["what"] != "ingest":
            raise CommandError(f"unknown benchmark {options['what']!r}")
        if options["messages"] < 1 or options["persons"] < 0:
            raise CommandError("--messages must be >= 1 and --persons >= 0")
        from epitrace.labs.bench import run

        figures = asdict(run(options["messages"], options["persons"], options["seed"]))
        if options["json"]:
            self.emit_json(figures)
            return
        for key, value in figures.items():
            self.stdout.write(f"{key:>22}: {value}")

    def _queue(self, options: dict[str, Any]) -> None:
        from epitrace.queues.bench.run import Options, run

        numbers = ("cases", "tracers", "duration", "web_workers", "threads")
        if options["cases"] < 1 or any(options[n] < 1 for n in numbers[1:]):
            raise CommandError("--cases, --tracers, --duration, --web-workers, --threads >= 1")
        chosen = Options(**{n: options[n] for n in (*numbers, "seed")})
        figures = asdict(run(chosen, say=lambda line: self.stderr.write(line)))
        if options["json"]:
            self.emit_json(figures)
            return
        for key, value in figures.items():
            self.stdout.write(f"{key:>22}: {value}")

    def _fanout(self, options: dict[str, Any]) -> None:
        from epitrace.outreach.bench.run import Options as FanoutOptions
        from epitrace.outreach.bench.run import run as run_fanout

        numbers = ("monitorees", "workers", "threads", "batch", "lease_seconds")
        if any(options[n] < 1 for n in numbers) or options["kills"] < 0:
            raise CommandError("--monitorees, --workers, --threads, --batch, --lease-seconds >= 1")
        if options["lease_seconds"] < 6:
            raise CommandError("--lease-seconds must be at least 6")
        chosen = FanoutOptions(**{n: options[n] for n in (*numbers, "kills")})
        figures = asdict(run_fanout(chosen, say=lambda line: self.stderr.write(line)))
        if options["json"]:
            self.emit_json(figures)
            return
        for key, value in figures.items():
            self.stdout.write(f"{key:>22}: {value}")
