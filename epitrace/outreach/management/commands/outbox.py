"""epitrace outbox dispatch [--once] [--json] [--threads N] [--batch N] [--max-seconds S]

Sends the outbox: claims due rows, sends them, records the providers'
answers. Without ``--once`` it runs until SIGTERM or Ctrl-C (finishing the
messages in flight); any number may run at once, on any number of hosts.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import CommandError, CommandParser

from epitrace.core.commands import EpitraceCommand
from epitrace.lib.env import ConfigurationError


class Command(EpitraceCommand):
    help = "Send the outbox: `outbox dispatch [--once]`."
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="what", required=True)
        dispatch = sub.add_parser("dispatch", help="send due messages")
        dispatch.add_argument("--once", action="store_true", help="stop when nothing is due")
        dispatch.add_argument("--threads", type=int, help="requests in flight (default: setting)")
        dispatch.add_argument("--batch", type=int, help="rows per claim (default: setting)")
        dispatch.add_argument("--max-seconds", type=float, help="stop after this long")
        dispatch.add_argument("--json", action="store_true", dest="json", help="JSON summary")

    def handle(self, *args: Any, **options: Any) -> None:
        from epitrace.outreach import conf
        from epitrace.outreach.dispatcher.worker import Dispatcher

        for name in ("threads", "batch", "max_seconds"):
            if options.get(name) is not None and options[name] <= 0:
                raise CommandError(f"--{name.replace('_', '-')} must be positive")
        try:
            for channel in conf.TRANSPORTS:
                conf.transport_name(channel)
            dispatcher = Dispatcher(threads=options.get("threads"), batch=options.get("batch"))
        except (ConfigurationError, ValueError) as error:
            raise CommandError(str(error)) from error
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        summary = dispatcher.run(
            once=options["once"], max_seconds=options.get("max_seconds"), stop=stop
        ).as_dict()
        if options["json"]:
            self.emit_json(summary)
            return
        for key, value in summary.items():
            self.stdout.write(f"{key:>12}: {value}")
