"""``epitrace bench fanout``: the day's check-ins for N monitorees, built and sent, with crashes.

1. The database gets N monitorees when it has fewer (bench/data.py), moved to
   a time zone where it is now the middle of the send window.
2. The day's outbox is built by the product's own set-based INSERT ... SELECT
   (outreach/daily.py): ``outbox_build_s``.
3. A fake Twilio runs in its own process (tests/fakes/twilio_api.py): the real
   Twilio client talks to it over HTTP, and it counts every message it takes
   per outbox key, without de-duplicating anything.
4. ``workers`` processes of ``epitrace outbox dispatch`` send the outbox. At
   evenly spaced points of the run, all of them are killed with SIGKILL and
   started again (``kills`` times): their rows left "sending" are taken back
   and reconciled with the provider once their lease has run out.
5. When nothing is left to send, duplicates (keys the provider got twice) and
   lost messages (keys it never got) are counted at the provider.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.utils import timezone

from epitrace.outreach.bench import data
from epitrace.outreach.choices import Purpose, State
from epitrace.outreach.daily import build_daily_checkins
from epitrace.outreach.models import OutboxMessage

FROM_NUMBER = "+18605550000"
POLL_S = 0.25


@dataclass
class Options:
    monitorees: int
    workers: int = 2
    threads: int = 8
    batch: int = 200
    kills: int = 3
    lease_seconds: int = 30


@dataclass
class FanoutFigures:
    outbox_build_s: float
    dispatch_msgs_per_s: float
    duplicates: int
    lost: int
    messages: int
    provider_requests: int
    dispatch_s: float
    kills: int
    workers: int
    threads: int
    monitorees: int
    added_monitorees: int
    load_before: str
    load_after: str
    database: str


def run(options: Options, say: Callable[[str], None]) -> FanoutFigures:
    load_before = _load()
    zone = data.midday_zone()
    added = data.ensure_monitorees(options.monitorees, zone, say)
    moved = data.fix_clock(zone)
    data.clear_checkins()
    if moved:
        data.analyze_monitorees()
    say(f"monitorees in {zone}; building the day's outbox")
    started, built_at = time.monotonic(), timezone.now()
    built = build_daily_checkins(now=built_at)
    build_s = time.monotonic() - started
    expected = set(
        OutboxMessage.objects.filter(
            purpose=Purpose.DAILY_CHECKIN, state=State.QUEUED, created_at__gte=built_at
        )
        .values_list("key", flat=True)
        .iterator(chunk_size=20_000)
    )
    say(f"{built} rows built in {build_s:.1f} s; sending {len(expected)}")
    with _FakeProvider() as provider:
        dispatch_s, kills = _dispatch(options, provider, expected, built_at, say)
        received = provider.keys()
        stats = provider.stats()
    duplicates = sum(1 for count in received.values() if count > 1)
    lost = len(expected - set(received))
    return FanoutFigures(
        outbox_build_s=round(build_s, 2),
        dispatch_msgs_per_s=round(len(expected) / dispatch_s, 1) if dispatch_s else 0.0,
        duplicates=duplicates,
        lost=lost,
        messages=len(expected),
        provider_requests=stats["requests"],
        dispatch_s=round(dispatch_s, 2),
        kills=kills,
        workers=options.workers,
        threads=options.threads,
        monitorees=data.count_monitorees(),
        added_monitorees=added,
        load_before=load_before,
        load_after=_load(),
        database=connection.vendor,
    )


# --- The fake provider, in its own process ------------------------------------------------


class _FakeProvider:
    def __init__(self) -> None:
        self.port = _free_port()
        self.sid = "AC" + secrets.token_hex(16)
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> _FakeProvider:
        command = [sys.executable, "-m", "epitrace.outreach.tests.fakes.twilio_api"]
        command += ["--port", str(self.port), "--sid", self.sid, "--token", self.token]
        self.process = subprocess.Popen(command, cwd=settings.BASE_DIR)  # noqa: S603
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.stats()
                return self
            except OSError:
                time.sleep(0.1)
        self.process.kill()
        raise RuntimeError("the fake provider did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)

    def _get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=60) as response:  # noqa: S310
            body: bytes = response.read()
            return body

    def stats(self) -> dict[str, int]:
        stats: dict[str, int] = json.loads(self._get("/_fake/stats"))
        return stats

    def keys(self) -> dict[str, int]:
        counts = {}
        for line in self._get("/_fake/keys").decode().splitlines():
            key, _, count = line.rpartition(" ")
            counts[key] = int(count)
        return counts

    def environment(self, options: Options) -> dict[str, str]:
        return {
            "EPITRACE_SMS_TRANSPORT": "twilio",
            "TWILIO_ACCOUNT_SID": self.sid,
            "TWILIO_AUTH_TOKEN": self.token,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE_URL": self.url,
            "EPITRACE_OUTREACH_LEASE_SECONDS": str(options.lease_seconds),
        }


# --- The dispatchers, killed and restarted ---------------------------------------------------


def _dispatch(
    options: Options,
    provider: _FakeProvider,
    expected: set[str],
    built_at: dt.datetime,
    say: Callable[[str], None],
) -> tuple[float, int]:
    """Send everything; returns (seconds from first start to nothing left, kills done)."""
    total = len(expected)
    env = {**os.environ, "DATABASE_URL": database_url(), **provider.environment(options)}
    command = [sys.executable, "-m", "epitrace.cli", "outbox", "dispatch"]
    command += ["--threads", str(options.threads), "--batch", str(options.batch)]
    marks = [total * (k + 1) // (options.kills + 1) for k in range(options.kills)]
    timeout = max(120.0, total / 100) + options.kills * options.lease_seconds * 3

    def start() -> list[subprocess.Popen[bytes]]:
        return [
            subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=_log())  # noqa: S603
            for _ in range(options.workers)
        ]

    began = next_look = time.monotonic()
    workers, kills = start(), 0
    try:
        while True:
            time.sleep(POLL_S)
            if time.monotonic() - began > timeout:
                raise RuntimeError(f"the outbox was not sent within {timeout:.0f} s")
            if any(w.poll() is not None for w in workers):
                raise RuntimeError("a dispatcher exited by itself")
            if kills < len(marks) and provider.stats()["messages"] >= marks[kills]:
                for worker in workers:
                    worker.send_signal(signal.SIGKILL)
                for worker in workers:
                    worker.wait()
                kills += 1
                say(f"killed the dispatchers (SIGKILL {kills}/{options.kills}); restarting")
                workers = start()
            elif kills == len(marks) and time.monotonic() >= next_look:
                # The database is asked only once the provider has (nearly) everything,
                # or now and then: counting open rows must not slow what it measures.
                near = provider.stats()["messages"] >= total
                next_look = time.monotonic() + (1.0 if near else 15.0)
                if _left(built_at) == 0:
                    return time.monotonic() - began, kills
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()


def _left(since: dt.datetime) -> int:
    """Rows built by this run and not yet settled."""
    open_states = [State.QUEUED, State.SENDING]
    return OutboxMessage.objects.filter(
        purpose=Purpose.DAILY_CHECKIN, state__in=open_states, created_at__gte=since
    ).count()


def _log() -> IO[Any] | int:
    """Where the dispatchers' own output goes: our standard error, or nowhere."""
    try:
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return subprocess.DEVNULL
    return sys.stderr


def database_url() -> str:
    """The URL of the database this process uses (the test database under pytest)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(str(db.get("USER") or ""), safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(str(db["PASSWORD"]), safe="")
    host = f"{auth}@" if auth else ""
    host += str(db.get("HOST") or "localhost")
    if db.get("PORT"):
        host += f":{db['PORT']}"
    return f"postgres://{host}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"
