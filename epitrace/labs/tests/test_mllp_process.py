"""`epitrace mllp` as a real process: it serves, and SIGTERM stops it cleanly.

Its own SQLite file, migrated for the test, whatever database the suite runs on.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from epitrace.labs.mllp.framing import wrap

pytestmark = pytest.mark.slow
EPITRACE = Path(sys.executable).with_name("epitrace")
NIST = (
    Path(__file__).resolve().parents[3].parent
    / "shared/testdata/elr/hl7/nist-elr251/valid/nist/ORU_R01_2.5.1_SampleTestCase1.hl7"
)


def test_the_listener_acknowledges_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'mllp.sqlite3'}",
        "EPITRACE_DATA_DIR": str(tmp_path),
    }
    subprocess.run([EPITRACE, "migrate", "-v0"], env=env, check=True, timeout=300)
    listener = subprocess.Popen(
        [EPITRACE, "mllp", "--port", "0"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert listener.stderr is not None
        line = listener.stderr.readline()
        assert line.startswith("Listening for MLLP on 127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1])
        text = NIST.read_bytes().decode().replace("\n", "\r")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as lab:
            lab.sendall(wrap(text))
            ack = b""
            while not ack.endswith(b"\x1c\x0d"):
                chunk = lab.recv(4096)
                assert chunk
                ack += chunk
            assert b"MSA|AA|NIST-100929110701660" in ack
            # An idle connection stays open: the stop must not wait for it.
            started = time.monotonic()
            listener.send_signal(signal.SIGTERM)
            assert listener.wait(timeout=15) == 0
            assert time.monotonic() - started < 10
            assert lab.recv(10) == b""
        assert "stopped" in listener.stderr.read()
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait()
    with sqlite3.connect(tmp_path / "mllp.sqlite3") as db:
        rows = db.execute("select state from labs_rawmessage where source = 'mllp'").fetchall()
    assert rows == [("processed",)]
