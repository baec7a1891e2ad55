"""Killed with SIGKILL at any point and run again, an import stores every result once.

Real processes against their own databases (the configured engine: PostgreSQL
in CI, SQLite files elsewhere): one import of a batch is killed three times
mid-way and then completed; another imports the same batch cleanly. Their
exports must be the same rows, and importing the batch again accepts nothing.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from epitrace.labs.ingest.synthetic import MessageFactory, batch_file

pytestmark = pytest.mark.slow
MESSAGES = 1500
# Columns that differ between two databases by nature: ids and import times.
VOLATILE = {"case_id", "imported_at"}


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[str, str]]:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        yield (
            f"sqlite:///{tmp_path / 'killed.sqlite3'}",
            f"sqlite:///{tmp_path / 'clean.sqlite3'}",
        )
        return
    import psycopg

    db = settings.DATABASES["default"]
    base = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    names = [f"epitrace_crash_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    admin = f"host={host} port={port} user={db['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (f"{base}/{names[0]}", f"{base}/{names[1]}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def epitrace(url: str, data_dir: Path, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "EPITRACE_DATA_DIR": str(data_dir)}
    env["EPITRACE_IMPORT_BATCH"] = "100"  # fifteen commits: room to kill between them
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "epitrace.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def stored(url: str) -> int:
    """Raw messages committed so far, read straight from the database."""
    if url.startswith("sqlite:///"):
        import sqlite3

        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path, timeout=30) as conn:
            return int(conn.execute("SELECT count(*) FROM labs_rawmessage").fetchone()[0])
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        row = conn.execute("SELECT count(*) FROM labs_rawmessage").fetchone()
        return int(row[0]) if row else 0


def wait_for_rows(url: str, target: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline:
        if stored(url) >= target:
            return
        time.sleep(0.05)


def finish(process: subprocess.Popen[str]) -> str:
    out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, out
    return out


def exported(url: str, data_dir: Path, out: Path) -> list[dict[str, str]]:
    finish(epitrace(url, data_dir, "export", "lab-results", "--out", str(out)))
    with out.open() as handle:
        return [
            {k: v for k, v in row.items() if k not in VOLATILE} for row in csv.DictReader(handle)
        ]


def test_an_import_killed_three_times_ends_exactly_like_a_clean_one(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    killed_db, clean_db = databases
    batch = tmp_path / "batch.hl7"
    batch.write_bytes(batch_file(MessageFactory(seed=77).stream(MESSAGES, positive_share=0.3)))
    data = tmp_path / "data"
    for url in databases:
        finish(epitrace(url, data, "migrate", "-v0"))

    clean = json.loads(
        finish(epitrace(clean_db, data, "import", str(batch), "--json")).splitlines()[-1]
    )
    assert clean["accepted"] == MESSAGES

    # Kill when a quarter, a half, three quarters of the batch are committed:
    # mid-import whatever the machine's speed.
    for share in (0.25, 0.5, 0.75):
        process = epitrace(killed_db, data, "import", str(batch), "--json")
        wait_for_rows(killed_db, int(MESSAGES * share), process)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
    completed = json.loads(
        finish(epitrace(killed_db, data, "import", str(batch), "--json")).splitlines()[-1]
    )
    assert completed["received"] == MESSAGES
    assert completed["accepted"] + completed["duplicates"] == MESSAGES
    assert completed["duplicates"] > 0, "the kills came too early to test anything"
    assert completed["accepted"] > 0, "the kills came too late to test anything"

    rows_killed = exported(killed_db, data, tmp_path / "killed.csv")
    rows_clean = exported(clean_db, data, tmp_path / "clean.csv")
    assert len(rows_clean) == MESSAGES
    assert rows_killed == rows_clean

    again = json.loads(
        finish(epitrace(killed_db, data, "import", str(batch), "--json")).splitlines()[-1]
    )
    assert (again["accepted"], again["duplicates"]) == (0, MESSAGES)
