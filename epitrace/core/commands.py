"""The base of every ``epitrace`` command (docs: ../shared cli conventions).

``--user USERNAME`` makes the command act as that staff member, with their
jurisdictions; without it the command acts as the system identity. Either
way ``self.acting_user`` is what services receive and what the audit records.
``--json`` commands print one compact JSON object as the last stdout line.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class EpitraceCommand(BaseCommand):
    json_output = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="act as this staff user (default: the system)")
        if self.json_output:
            parser.add_argument("--json", action="store_true", help="print a JSON summary")

    def execute(self, *args: Any, **options: Any) -> Any:
        self.acting_user = self._resolve_user(options.get("user"))
        return super().execute(*args, **options)

    def _resolve_user(self, username: str | None) -> Any:
        from epitrace.accounts.models import User
        from epitrace.accounts.scope import system_user

        if not username:
            return system_user()
        try:
            return User.objects.get(username=username, is_active=True, is_system=False)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user {username!r}") from exc

    def emit_json(self, result: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(result, separators=(",", ":"), default=str))
