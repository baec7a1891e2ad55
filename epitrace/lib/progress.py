"""A progress bar on standard error (cli.md: progress never goes to stdout).

On a terminal it redraws one line; elsewhere (cron, CI logs) it prints a
line at each tenth so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self, total: int, label: str, stream: TextIO | None = None, *, unknown_total: bool = False
    ) -> None:
        self.unknown_total = unknown_total
        self.total = max(total, 0)
        self.label = label
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self.tty = self.stream.isatty()
        self._last_draw = 0.0
        self._last_tenth = -1

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw >= 0.2 or self.done >= self.total:
                self._last_draw = now
                self.stream.write("\r" + self._line(now))
                self.stream.flush()
            return
        if self.unknown_total:
            if self.done % 10000 == 0:
                self.stream.write(self._line(now) + "\n")
            return
        tenth = (self.done * 10 // self.total) if self.total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self._line(now) + "\n")

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r" + self._line(time.monotonic()) + "\n")
            self.stream.flush()

    def _line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if self.unknown_total:  # a stream of messages: count and rate, no bar
            return f"{self.label}: {self.done:,} ({rate:,.0f}/s, {_duration(elapsed)})"
        pct = 100 * self.done / self.total if self.total else 100.0
        width = 30
        filled = int(width * pct / 100)
        bar = "#" * filled + "-" * (width - filled)
        remaining = (self.total - self.done) / rate if rate > 0 else 0.0
        return (
            f"{self.label} [{bar}] {self.done:,}/{self.total:,} ({pct:5.1f}%) "
            f"{rate:,.0f}/s ETA {_duration(remaining)}"
        )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
