"""epitrace api_clients create NAME --jurisdiction CODE --capability CAP... | list | revoke P"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from epitrace.accounts.models import ApiClient
from epitrace.accounts.services import do_create_api_client, do_revoke_api_client
from epitrace.core.commands import EpitraceCommand
from epitrace.jurisdictions.models import Jurisdiction


class Command(EpitraceCommand):
    help = "Create, list and revoke API client credentials."
    json_output = True

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a client and print its key once")
        create.add_argument("name")
        create.add_argument("--jurisdiction", required=True, help="jurisdiction code")
        create.add_argument(
            "--capability", action="append", required=True, help="e.g. cases.view_case (repeat)"
        )
        sub.add_parser("list", help="clients, their scope and last use")
        revoke = sub.add_parser("revoke", help="revoke a client by its key prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list(options)
        else:
            self._revoke(options)

    def _create(self, options: dict[str, Any]) -> None:
        try:
            jurisdiction = Jurisdiction.objects.get(code=options["jurisdiction"])
            client, key = do_create_api_client(
                options["name"], jurisdiction, options["capability"], acting_user=self.acting_user
            )
        except Jurisdiction.DoesNotExist as exc:
            raise CommandError(f"no jurisdiction {options['jurisdiction']!r}") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if options["json"]:
            self.emit_json({"name": client.name, "prefix": client.key_prefix, "key": key})
        else:
            self.stdout.write(f"API key for {client.name} (shown once, keep it secret):\n{key}")

    def _list(self, options: dict[str, Any]) -> None:
        rows = [
            {
                "name": c.name,
                "prefix": c.key_prefix,
                "jurisdiction": c.jurisdiction.code,
                "capabilities": c.capabilities,
                "active": c.is_active,
                "last_used_at": c.last_used_at,
            }
            for c in ApiClient.objects.select_related("jurisdiction")
        ]
        if options["json"]:
            self.emit_json({"clients": rows})
            return
        for row in rows:
            state = "active" if row["active"] else "revoked"
            self.stdout.write(
                f"{row['prefix']}  {row['name']:<30} {row['jurisdiction']:<24} {state:<8} "
                f"last used {row['last_used_at'] or 'never'}"
            )

    def _revoke(self, options: dict[str, Any]) -> None:
        client = ApiClient.objects.filter(key_prefix=options["prefix"]).first()
        if client is None:
            raise CommandError(f"no API client with prefix {options['prefix']!r}")
        do_revoke_api_client(client, acting_user=self.acting_user)
        if options["json"]:
            self.emit_json({"revoked": client.key_prefix})
        else:
            self.stdout.write(f"Revoked {client.name}.")
