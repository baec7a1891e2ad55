"""epitrace demo [--port 8000] [--cases N]: the whole system on one machine.

Migrates the database, seeds it when it has no cases, then runs the web
server (gunicorn) and the job worker (huey) until Ctrl-C, which stops both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from epitrace.seed.accounts import DEMO_PASSWORD
from epitrace.seed.services import demo_logins


class Command(BaseCommand):
    help = "Migrate, seed if empty, and serve the web app with its job worker (Ctrl-C stops)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--cases", type=int, default=3000, help="cases to seed if empty")
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        with open(os.devnull, "w") as quiet:  # the banner below prints the logins
            call_command(
                "seed", if_empty=True, demo_feed=True, cases=options["cases"], stdout=quiet
            )
        url = f"http://{options['host']}:{options['port']}/"
        children = [self._worker(), self._web(options)]
        self._banner(url)
        self._supervise(children)

    def _worker(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "epitrace.cli", "run_huey", "--quiet"])

    def _web(self, options: dict[str, Any]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"{options['host']}:{options['port']}",
                "--workers",
                str(options["web_workers"]),
                "--threads",
                "4",
                # No access log: URLs carry record ids (see docs/privacy.md).
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
        )

    def _banner(self, url: str) -> None:
        out = self.stdout
        # Passkeys need a host name: browsers refuse WebAuthn on a bare IP address.
        url = url.replace("//127.0.0.1:", "//localhost:")
        out.write("")
        out.write(self.style.SUCCESS(f"Epitrace is running at {url}"))
        out.write(f"Database: {settings.DATABASES['default']['NAME']}")
        out.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in demo_logins():
            out.write(f"  {login.username:<28} {login.role:<30} {login.jurisdiction}")
        out.write(
            "Sign in with a username and the password above. For the two-factor code, run\n"
            "  .venv/bin/epitrace demo-code USERNAME\n"
            "in another terminal: it prints the code the user's authenticator app would show."
        )
        out.write("Press Ctrl-C to stop the web server and the worker.")

    def _supervise(self, children: list[subprocess.Popen[bytes]]) -> None:
        def stop(*_: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    child.kill()
            raise SystemExit(0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        self.stderr.write("A demo process exited; stopping the others.")
        stop()
