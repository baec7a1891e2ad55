"""Who is acting when an API client calls: a principal shaped like a user.

``restrict()`` and the audit only need ``is_authenticated``, a label and a
scope; an API client gets its scope from its own jurisdiction and explicit
capabilities instead of memberships.
"""

from __future__ import annotations

from dataclasses import dataclass

from epitrace.accounts.models import ApiClient


@dataclass(eq=False)
class ApiClientPrincipal:
    client: ApiClient
    is_authenticated: bool = True
    is_active: bool = True
    is_system: bool = False
    is_staff: bool = False
    is_superuser: bool = False
    is_anonymous: bool = False
    pk: None = None  # not a user row: per-user grants (break-glass) never apply

    def __str__(self) -> str:
        return f"API client {self.client.name}"

    @property
    def username(self) -> str:
        return f"api:{self.client.key_prefix}"

    def get_username(self) -> str:
        return f"{self.username} ({self.client.name})"
