"""epitrace mllp [--host 127.0.0.1] [--port 2575] [--user U]"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from epitrace.core.commands import EpitraceCommand
from epitrace.labs.mllp.server import MLLPServer, serve_until_signalled


class Command(EpitraceCommand):
    help = (
        "Receive HL7 v2 lab results over MLLP in the foreground, acknowledging each message "
        "once it is stored. Stops gracefully on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--host",
            default=settings.EPITRACE_MLLP_HOST,
            help="address to listen on (default: %(default)s; 0.0.0.0 for every interface)",
        )
        parser.add_argument(
            "--port", type=int, default=settings.EPITRACE_MLLP_PORT, help="default: %(default)s"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 <= options["port"] <= 65535:
            raise CommandError("--port must be 0-65535")
        actor = self.acting_user
        try:
            server = MLLPServer(
                (options["host"], options["port"]),
                max_bytes=settings.EPITRACE_MLLP_MAX_MESSAGE_BYTES,
                idle_timeout=settings.EPITRACE_MLLP_IDLE_TIMEOUT_SECONDS,
                actor_factory=lambda: actor,
            )
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {exc.strerror}"
            ) from exc
        # Standard error, like every progress line: stdout stays for results.
        sys.stderr.write(f"Listening for MLLP on {options['host']}:{server.port}\n")
        sys.stderr.flush()
        serve_until_signalled(server)
        sys.stderr.write("MLLP listener stopped\n")
