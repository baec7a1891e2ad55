"""API client credentials: create (the key is shown once), revoke, list."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from epitrace.accounts.models import ApiClient
from epitrace.accounts.roles import CAPABILITIES
from epitrace.audit.services import record
from epitrace.jurisdictions.models import Jurisdiction

KNOWN_CAPABILITIES = frozenset().union(*CAPABILITIES.values())


@transaction.atomic
def do_create_api_client(
    name: str, jurisdiction: Jurisdiction, capabilities: list[str], *, acting_user: Any
) -> tuple[ApiClient, str]:
    """The new client and its key; only the key's digest is stored."""
    unknown = sorted(set(capabilities) - KNOWN_CAPABILITIES)
    if unknown:
        raise ValidationError(f"unknown capabilities: {', '.join(unknown)}")
    if not capabilities:
        raise ValidationError("give at least one capability")
    key, prefix, digest = ApiClient.new_key()
    client = ApiClient.objects.create(
        name=name,
        jurisdiction=jurisdiction,
        capabilities=sorted(set(capabilities)),
        key_prefix=prefix,
        key_digest=digest,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    record(
        "permission_change",
        actor=acting_user,
        obj=client,
        jurisdiction_id=jurisdiction.pk,
        payload={"api_client": "created", "capabilities": client.capabilities},
    )
    return client, key


@transaction.atomic
def do_revoke_api_client(client: ApiClient, *, acting_user: Any) -> None:
    client.revoke()
    record(
        "permission_change",
        actor=acting_user,
        obj=client,
        jurisdiction_id=client.jurisdiction_id,
        payload={"api_client": "revoked"},
    )
