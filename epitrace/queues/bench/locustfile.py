"""Simulated tracers for ``epitrace bench queue`` (run by locust in its own process).

Imports nothing from Django: locust patches the standard library with
gevent, which Django must not run under. Reads the tracers' sessions from the
JSON file named by ``EPITRACE_BENCH_CONFIG`` and writes every request's
timing to ``EPITRACE_BENCH_OUT`` when the run stops.

Each simulated tracer repeats: Next (claim), open the case page, then record
an outcome (70% reached, 10% not reached) or release the item (20%), with
0.5-1.5 s of think time between requests. Like the browser, it fetches the
parts of the page that load right after it (``hx-trigger="load ..."``: the
interview and the contacts) as soon as the page has arrived.

``FastHttpUser`` (geventhttpclient) rather than ``HttpUser`` (requests): the
load generator shares the machine's cores with the server it measures, and
costs several times less per request.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.env import Environment

CONFIG: dict[str, Any] = json.loads(Path(os.environ["EPITRACE_BENCH_CONFIG"]).read_text())
OUT = Path(os.environ["EPITRACE_BENCH_OUT"])
_tracers = itertools.cycle(CONFIG["tracers"])
_samples: list[list[Any]] = []
_counts = {"empty_next": 0, "claims": 0}
_marks: dict[str, float] = {"started": time.time()}
WORK = re.compile(r"^(?P<page>/(?:cases|people)/\d+/)#work-item-(?P<item>\d+)$")
# An element the page fills as it loads: its address (hx-get) and its trigger, in one tag.
LAZY = re.compile(r'<[^>]*\shx-get="(?P<url>[^"]+)"[^>]*\shx-trigger="load\b[^"]*"')


@events.request.add_listener
def _timed(
    request_type: str,
    name: str,
    response_time: float,
    exception: BaseException | None,
    start_time: float,
    **_: Any,
) -> None:
    _samples.append([name, round(response_time, 3), exception is None, start_time])


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_: Any) -> None:
    _marks["spawned"] = time.time()


@events.test_stop.add_listener
def _write(environment: Environment, **_: Any) -> None:
    _marks["stopped"] = time.time()
    OUT.write_text(json.dumps({"samples": _samples, "counts": _counts, "marks": _marks}))


class Tracer(FastHttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        me = next(_tracers)
        host = CONFIG["host"]
        cookies = f"{CONFIG['session_cookie']}={me['session_key']}; "
        cookies += f"{CONFIG['csrf_cookie']}={CONFIG['csrf_secret']}"
        # As behind the TLS terminator of production: https, the browser's Origin.
        self.headers = {
            "Cookie": cookies,
            "X-CSRFToken": CONFIG["csrf_secret"],
            "X-Forwarded-Proto": "https",
            "Origin": f"https://{host}",
            "Referer": f"https://{host}/queues/",
        }
        self.item: str | None = None
        self.page: str | None = None
        self.opened = False
        self.rng = random.Random(me["session_key"])  # noqa: S311 - simulated choices

    @task
    def step(self) -> None:
        if self.item is None:
            self.press_next()
        elif not self.opened:
            self.open_page()
        else:
            self.finish()

    def press_next(self) -> None:
        with self.client.post(
            "/queues/next/",
            headers=self.headers,
            allow_redirects=False,
            name="next",
            catch_response=True,
        ) as response:
            where = _location(response)
            found = WORK.match(where)
            if response.status_code == 302 and found:
                self.page, self.item, self.opened = found["page"], found["item"], False
                _counts["claims"] += 1
                response.success()
            elif response.status_code == 302 and where == "/queues/":
                _counts["empty_next"] += 1  # nothing waiting, or a limit: told on the page
                response.success()
            else:
                response.failure(f"next: {response.status_code} {where}")

    def open_page(self) -> None:
        with self.client.get(
            self.page or "/", headers=self.headers, name="case page", catch_response=True
        ) as response:
            if response.status_code == 200:
                response.success()
                lazy = [m["url"].replace("&amp;", "&") for m in LAZY.finditer(response.text)]
            else:
                response.failure(f"case page: {response.status_code}")
                lazy = []
        for url in lazy:
            self.load_part(url)
        self.opened = True

    def load_part(self, url: str) -> None:
        headers = {**self.headers, "HX-Request": "true", "HX-Current-URL": self.page or ""}
        with self.client.get(
            url, headers=headers, name="case panel", catch_response=True
        ) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"case panel: {response.status_code}")

    def finish(self) -> None:
        roll = self.rng.random()
        if roll < 0.2:
            path, name, data = f"/queues/items/{self.item}/release/", "release", {}
        else:
            outcome = "not_reached" if roll < 0.3 else "completed"
            path, name = f"/queues/items/{self.item}/complete/", "complete"
            data = {"outcome": outcome, "note": ""}
        with self.client.post(
            path,
            data=data,
            headers=self.headers,
            allow_redirects=False,
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code == 302 and _location(response) == "/queues/":
                response.success()
            else:
                response.failure(f"{name}: {response.status_code}")
        self.item, self.page, self.opened = None, None, False


def _location(response: Any) -> str:
    # A request that failed before any answer (a refused or dropped
    # connection) has no headers: an error for the count, not a crash.
    return (response.headers or {}).get("Location", "")
