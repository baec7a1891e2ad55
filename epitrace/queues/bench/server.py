"""The app under test: gunicorn with the production settings, on a free loopback port.

The web processes get ``EPITRACE_ENV=production``: DEBUG off, secure and
``__Host-`` cookies, HSTS, manifest static files (collected once into a
folder under the data folder), the audit keys required. The secret key and
the audit keys are this process's own (given as files), so the sessions made
here are valid there. The load generator says it comes through a TLS
terminator (``X-Forwarded-Proto: https``), as production traffic does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection

from epitrace.audit.keys import CHAIN_KEY, SIGNING_KEY, keyring

READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(data_dir: Path) -> dict[str, str]:
    """The environment of the web processes: production, with this process's secrets."""
    keyring()  # in development, makes sure the audit key files exist
    env = dict(os.environ)
    env.update(
        {
            "EPITRACE_ENV": "production",
            "EPITRACE_DATA_DIR": str(data_dir),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url(),
            "LOG_LEVEL": "WARNING",
            "DEBUG": "false",
        }
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # No SMS provider or EN server on a benchmark machine (and nothing is sent here).
    env.setdefault("EPITRACE_SMS_TRANSPORT", "console")
    env.setdefault("EPITRACE_EN_TRANSPORT", "console")
    base = Path(settings.DATA_DIR)
    for name, dev_file in ((CHAIN_KEY, "audit_key"), (SIGNING_KEY, "audit_signing_key")):
        if not (os.environ.get(name) or os.environ.get(f"{name}_FILE")):
            env[f"{name}_FILE"] = str(base / dev_file)
    if not (os.environ.get("SECRET_KEY") or os.environ.get("SECRET_KEY_FILE")):
        env["SECRET_KEY_FILE"] = str(base / "secret_key")
    return env


def database_url() -> str:
    """The URL of the database this process uses (under tests, the test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(str(db.get("USER") or ""), safe="")
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "", db.get("PORT") or ""
    return f"postgres://{user}{password}@{host}:{port}/{quote(str(db['NAME']), safe='')}"


def collect_static(env: dict[str, str]) -> None:
    """Production serves hashed static files from a manifest: collect them when stale."""
    manifest = Path(env["EPITRACE_DATA_DIR"]) / "static" / "staticfiles.json"
    if manifest.exists() and manifest.stat().st_mtime >= _newest_static_source():
        return
    subprocess.run(
        [sys.executable, "-m", "epitrace.cli", "collectstatic", "--noinput", "-v0"],
        env=env,
        check=True,
        cwd=settings.BASE_DIR,
    )


def _newest_static_source() -> float:
    """The latest change among the source static files (the finders' view)."""
    newest = 0.0
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            newest = max(newest, Path(storage.path(path)).stat().st_mtime)
    return newest


def start(port: int, env: dict[str, str], workers: int, threads: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--threads", str(threads), "--log-level", "warning", "--timeout", "60"]
    # No access log: URLs carry record ids (docs/privacy.md).
    server = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603
    _wait_ready(server, port)
    return server


def _wait_ready(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    url = f"http://127.0.0.1:{port}/readyz"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    stop(server)
    raise RuntimeError("gunicorn did not become ready")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
