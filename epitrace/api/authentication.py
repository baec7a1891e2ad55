"""API client credentials: ``Authorization: Bearer et_<prefix>_<secret>``.

The prefix finds the client, the SHA-256 digest of the whole key is compared
in constant time, a revoked client is refused. ``last_used_at`` is written at
most once a minute so a busy feed does not turn every read into a write.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from epitrace.accounts.models import ApiClient
from epitrace.accounts.principals import ApiClientPrincipal

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
INVALID = "Invalid or revoked API key."


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[ApiClientPrincipal, None] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(INVALID)
        key = parts[1].decode("ascii", "replace")
        client = self._client(key)
        self._touch(client)
        return ApiClientPrincipal(client), None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="epitrace"'

    def _client(self, key: str) -> ApiClient:
        pieces = key.split("_", 2)  # the secret itself may contain "_"
        if len(pieces) != 3 or pieces[0] != "et":
            raise AuthenticationFailed(INVALID)
        client = (
            ApiClient.objects.select_related("jurisdiction").filter(key_prefix=pieces[1]).first()
        )
        if client is None or not hmac.compare_digest(client.key_digest, ApiClient.digest(key)):
            raise AuthenticationFailed(INVALID)
        if not client.is_active:
            raise AuthenticationFailed(INVALID)
        return client

    def _touch(self, client: ApiClient) -> None:
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now


def acting(request: Any) -> Any:
    """The user or API client a request acts as."""
    return request.user
