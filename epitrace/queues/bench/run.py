"""Running ``epitrace bench queue`` and turning the timings into figures."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from epitrace.queues.bench import data, server
from epitrace.queues.integrity import overlapping_claims

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
# Not measured, after the last tracer starts: each web process's first
# requests open its connection and compile its statements, once per number of
# jurisdictions its tracers work (a server that has run a minute has them all).
WARMUP_SECONDS = 15.0
CSRF_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass
class Options:
    cases: int
    tracers: int
    duration: int
    web_workers: int
    threads: int
    seed: int = 2026


@dataclass
class QueueFigures:
    claim_p95_ms: float
    page_p95_ms: float
    requests_per_s: float
    double_claims: int
    errors: int
    claim_p50_ms: float
    page_p50_ms: float
    complete_p95_ms: float
    panel_p95_ms: float
    claims: int
    empty_next: int
    measured_s: float
    tracers: int
    cases: int
    work_items: int
    open_items: int
    web_workers: int
    threads: int
    load_before: str
    load_after: str
    database: str


def run(options: Options, say: Callable[[str], None]) -> QueueFigures:
    data.ensure_cases(options.cases, options.seed)
    data.ensure_queue()
    data.analyze()
    tracers = data.sign_in(data.ensure_tracers(options.tracers))
    figures = data.queue_figures()
    started = timezone.now()
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="epitrace-bench-") as scratch:
        env = server.production_env(Path(settings.DATA_DIR) / "bench-web")
        say("collecting static files for the production settings")
        server.collect_static(env)
        port = server.free_port()
        say(f"starting gunicorn on 127.0.0.1:{port}: {options.web_workers} workers")
        web = server.start(port, env, options.web_workers, options.threads)
        try:
            say(f"{options.tracers} tracers for {options.duration} s")
            timings = _locust(Path(scratch), port, tracers, options)
        finally:
            server.stop(web)
    result = _figures(timings, options, figures, started, load_before)
    if warning := dry_queues(result):
        say(warning)
    return result


# Above this share of Next presses finding nothing, the run measured empty queues.
DRY_SHARE = 0.05


def dry_queues(figures: QueueFigures) -> str | None:
    """A warning when the tracers' queues ran dry: a Next that finds nothing
    is a cheap request, and the figures would look better than the claims
    they are meant to measure (repeated runs complete the LHDs' items)."""
    presses = figures.claims + figures.empty_next
    if not presses or figures.empty_next <= DRY_SHARE * presses:
        return None
    return (
        f"warning: {figures.empty_next:,} of {presses:,} Next presses found nothing to claim;"
        " the bench's LHD queues are running dry and these figures do not measure claims"
        " (restore the database or add cases with --cases)"
    )


def _locust(
    scratch: Path, port: int, tracers: Sequence[data.BenchTracer], options: Options
) -> dict[str, Any]:
    config, out = scratch / "config.json", scratch / "timings.json"
    prod_cookie = "__Host-epitrace"  # the production settings' cookie names
    config.write_text(
        json.dumps(
            {
                "host": f"127.0.0.1:{port}",
                "session_cookie": f"{prod_cookie}-session",
                "csrf_cookie": f"{prod_cookie}-csrf",
                # A browser keeps whatever CSRF secret it was given; any 32 characters do.
                "csrf_secret": get_random_string(32, CSRF_CHARS),
                "tracers": [t.__dict__ for t in tracers],
            }
        )
    )
    spawn_rate = max(options.tracers / 5, 1)  # everyone at work within about 5 s
    ramp = math.ceil(options.tracers / spawn_rate)
    env = {
        **os.environ,
        "EPITRACE_BENCH_CONFIG": str(config),
        "EPITRACE_BENCH_OUT": str(out),
    }
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    command += ["--users", str(options.tracers), "--spawn-rate", f"{spawn_rate:g}"]
    command += ["--run-time", f"{options.duration + ramp + WARMUP_SECONDS:g}s"]
    command += ["--host", f"http://127.0.0.1:{port}", "--only-summary"]
    command += ["--loglevel", "WARNING", "--stop-timeout", "60"]  # let requests in flight end
    finished = subprocess.run(  # noqa: S603 - our own interpreter and file
        command, env=env, cwd=settings.BASE_DIR, stdout=sys.stderr, check=False
    )
    if not out.exists():
        raise RuntimeError(f"locust wrote no timings (exit status {finished.returncode})")
    timings: dict[str, Any] = json.loads(out.read_text())
    return timings


def _figures(
    timings: dict[str, Any],
    options: Options,
    figures: dict[str, Any],
    started: Any,
    load_before: str,
) -> QueueFigures:
    marks = timings["marks"]
    begin = marks.get("spawned", marks["started"]) + WARMUP_SECONDS
    end = marks["stopped"]
    window = [s for s in timings["samples"] if begin <= s[3] <= end]
    by_name: dict[str, list[float]] = {}
    for name, ms, _ok, _at in window:
        by_name.setdefault(name, []).append(ms)
    measured = max(end - begin, 1e-9)
    return QueueFigures(
        claim_p95_ms=percentile(by_name.get("next", []), 95),
        page_p95_ms=percentile(by_name.get("case page", []), 95),
        requests_per_s=round(len(window) / measured, 1),
        double_claims=overlapping_claims(since=started),
        errors=sum(1 for s in timings["samples"] if not s[2]),
        claim_p50_ms=percentile(by_name.get("next", []), 50),
        page_p50_ms=percentile(by_name.get("case page", []), 50),
        complete_p95_ms=percentile(by_name.get("complete", []), 95),
        # The interview and contacts the case page fetches as it loads.
        panel_p95_ms=percentile(by_name.get("case panel", []), 95),
        claims=timings["counts"]["claims"],
        empty_next=timings["counts"]["empty_next"],
        measured_s=round(measured, 1),
        tracers=options.tracers,
        cases=figures["cases"],
        work_items=figures["work_items"],
        open_items=figures["open_items"],
        web_workers=options.web_workers,
        threads=options.threads,
        load_before=load_before,
        load_after=_load(),
        database=connection.vendor,
    )


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (0 when there is no value)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return round(ordered[rank - 1], 1)


def _load() -> str:
    """The 1, 5 and 15-minute load averages: the machine is shared, say how busy it was."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"
