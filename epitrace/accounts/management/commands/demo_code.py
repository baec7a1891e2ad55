"""epitrace demo-code USERNAME: the current authenticator code of a demo user.

Development only. Demo users' authenticator apps have secrets derived from
the SECRET_KEY (see epitrace.accounts.mfa); this command plays the phone, so
the demo signs in with the same two-factor check as production.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from epitrace.accounts.mfa import is_demo_secret, totp_code, totp_secret
from epitrace.accounts.models import User


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "demo-code only works in development: in production every user "
                "reads their code from their own authenticator app."
            )
        username = options["username"]
        user = User.objects.filter(username=username, is_system=False).first()
        secret = totp_secret(user) if user else None
        if user is None or secret is None:
            raise CommandError(f"{username!r} is not a user with an authenticator app.")
        if not is_demo_secret(user.username, secret):
            raise CommandError(
                f"{username!r} set up their own authenticator app: read the code there."
            )
        self.stdout.write(totp_code(secret))
