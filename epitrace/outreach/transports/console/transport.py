"""The console transport: messages are written to a file instead of being sent.

For the demo and development (no provider, no internet): one JSON line per
message in ``<data dir>/outbox-console.jsonl``. The file holds personal data
just as a provider's log would, and stays on this machine; nothing goes to
the process log. A lookup reads the file back, so a crash mid-write is
reconciled like a real provider's.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from epitrace.outreach.transports import Accepted, Outgoing

_NAMESPACE = uuid.UUID("0d4bf3a4-5a0a-4f8e-b7c6-5f7f2a1e9c01")


def console_file() -> Path:
    return Path(settings.DATA_DIR) / "outbox-console.jsonl"


class ConsoleTransport:
    def __init__(self) -> None:
        self.path = console_file()

    def send(self, message: Outgoing) -> Accepted:
        provider_id = f"console-{uuid.uuid5(_NAMESPACE, f'{message.key}/{message.attempt}').hex}"
        line = {
            "at": timezone.now().isoformat(),
            "id": provider_id,
            "key": message.key,
            "channel": message.channel,
            "to": message.address,
            "subject": message.subject,
            "body": message.body,
            "payload": message.payload,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # one whole line per message, whoever writes
            os.write(fd, data)
        finally:
            os.close(fd)
        return Accepted(provider_id, "sent")

    def lookup(self, message: Outgoing) -> Accepted | None:
        if not self.path.exists():
            return None
        with self.path.open(encoding="utf-8") as lines:
            for raw in lines:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue  # a line cut by a crash was not sent
                if line.get("key") == message.key and line.get("id") not in message.taken:
                    return Accepted(str(line["id"]), "sent")
        return None

    def close(self) -> None:
        return None
