"""The drop folder: labs (or an SFTP server) write files to ``inbox/``; a
scheduled pull imports them.

Order of events for one file, and why: the file is imported through the
same pipeline as ``epitrace import`` (messages commit in batches); only after
the last batch committed is it moved to ``processed/`` (or ``failed/`` when
it could not be read or every message in it was rejected) under a timestamp
prefix, with a JSON summary next to it. A pull that dies before the move
leaves the file in the inbox, and the next pull imports it again: messages
already stored are duplicates, so the re-run stores each result once.

Files still being written are left alone: names ending ``.part``/``.tmp``
(and the like), hidden files, and files modified less than
``EPITRACE_DROP_FOLDER_SETTLE_SECONDS`` ago. One pull at a time: an
exclusive lock on ``.pull.lock`` in the drop folder (the huey task also
holds a queue lock, which covers several hosts sharing the folder).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.labs.feeds.arrivals import record_arrival
from epitrace.labs.ingest.files import import_file
from epitrace.labs.ingest.pipeline import Pipeline, Summary
from epitrace.labs.models import FeedName

log = logging.getLogger(__name__)

PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".filepart", ".crdownload", "~")
PROCESSED, FAILED, INBOX = "processed", "failed", "inbox"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / INBOX

    @property
    def lock_file(self) -> Path:
        return self.root / ".pull.lock"

    def folder(self, outcome: str) -> Path:
        return self.root / outcome

    def create(self) -> None:
        for name in (INBOX, PROCESSED, FAILED):
            (self.root / name).mkdir(parents=True, exist_ok=True)


@dataclass
class FileResult:
    name: str
    outcome: str  # processed, failed, or inbox (the import stopped: retried next pull)
    stored_as: str = ""
    received: int = 0
    rejected: int = 0


@dataclass
class PullResult:
    files: list[FileResult] = field(default_factory=list)
    locked: bool = False  # another pull was running: nothing done

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)


def pull_drop_folder(root: Path | None = None) -> PullResult:
    """Import every settled file of the inbox, oldest first."""
    layout = Layout(Path(root or settings.EPITRACE_DROP_FOLDER))
    layout.create()
    result = PullResult()
    with _exclusive(layout.lock_file) as held:
        if not held:
            log.info("drop folder: another pull is running; nothing done")
            result.locked = True
            return result
        files = pending_files(layout.inbox, settings.EPITRACE_DROP_FOLDER_SETTLE_SECONDS)
        actor = system_user() if files else None
        for path in files:
            result.files.append(_pull_one(path, layout, actor))
    if result.files:
        log.info(
            "drop folder: %d files: %d processed, %d failed, %d left in the inbox",
            len(result.files),
            result.count(PROCESSED),
            result.count(FAILED),
            result.count(INBOX),
        )
    return result


def pending_files(inbox: Path, settle_seconds: int) -> list[Path]:
    """Files ready to import, oldest first (by modification time, then name)."""
    cutoff = time.time() - settle_seconds
    ready: list[tuple[float, str, Path]] = []
    with os.scandir(inbox) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES):
                continue
            try:
                if not entry.is_file():
                    continue
                modified = entry.stat().st_mtime
            except OSError:  # removed while we looked
                continue
            if modified <= cutoff:
                ready.append((modified, name, Path(entry.path)))
    return [path for _, _, path in sorted(ready)]


def _pull_one(path: Path, layout: Layout, actor: Any) -> FileResult:
    pipeline = Pipeline(actor=actor, source=FeedName.DROP_FOLDER)
    try:
        import_file(pipeline, path)
        record_arrival(FeedName.DROP_FOLDER)
    except Exception as exc:
        # What committed stays; the file stays for the next pull, which makes
        # the stored messages duplicates and finishes the rest.
        log.error(
            "drop folder: an import stopped after %d messages (%s); the file stays in the inbox",
            pipeline.summary.received,
            type(exc).__name__,
        )
        return FileResult(path.name, INBOX, received=pipeline.summary.received)
    summary = pipeline.summary
    outcome = FAILED if summary.received and summary.rejected == summary.received else PROCESSED
    stamp = timezone.now()
    result = FileResult(path.name, outcome, received=summary.received, rejected=summary.rejected)
    # Inside a caller's transaction the move waits for its commit; otherwise
    # the import's own batches have committed and it runs at once.
    transaction.on_commit(lambda: _file_away(path, layout, result, summary, stamp))
    return result


def _file_away(
    path: Path, layout: Layout, result: FileResult, summary: Summary, stamp: dt.datetime
) -> None:
    target = _free_name(layout.folder(result.outcome), f"{stamp:%Y%m%dT%H%M%SZ}", path.name)
    try:
        shutil.move(path, target)
    except OSError as exc:
        # Stays in the inbox: the next pull imports it again (as duplicates).
        log.error("drop folder: could not move an imported file (%s)", exc.strerror)
        result.outcome = INBOX
        return
    result.stored_as = target.name
    report = _summary_json(path.name, target.name, result.outcome, summary, stamp)
    with contextlib.suppress(OSError):  # the messages are stored; the summary is a courtesy
        target.with_name(target.name + ".json").write_text(report, encoding="utf-8")


def _free_name(folder: Path, prefix: str, name: str) -> Path:
    """``prefix-name``, or ``prefix-2-name``... when a file of that name was filed this second."""
    candidate, number = folder / f"{prefix}-{name}", 1
    while candidate.exists() or candidate.with_name(candidate.name + ".json").exists():
        number += 1
        candidate = folder / f"{prefix}-{number}-{name}"
    return candidate


def _summary_json(
    name: str, stored_as: str, outcome: str, summary: Summary, stamp: dt.datetime
) -> str:
    counts = summary.as_dict()
    rejections = [
        {
            "index": r["index"],
            "control_id": r["control_id"],
            "reason": _without_content(r["reason"]),
        }
        for r in counts.pop("rejections")
    ]
    body = {
        "file": name,
        "stored_as": stored_as,
        "outcome": outcome,
        "imported_at": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **counts,
        "rejections": rejections,
    }
    return json.dumps(body, indent=2) + "\n"


_QUOTED = re.compile(r"""['"].*""", re.DOTALL)


def _without_content(reason: str) -> str:
    """A reason without the message text some reasons quote (a name may be in it).

    The full reason stays with the rejected message, behind access control.
    """
    return _QUOTED.sub("…", reason).strip()


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``lock_file`` if nobody else does; yields whether we do."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
