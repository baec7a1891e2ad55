"""Verification-code requests to the state's exposure-notification server.

``POST /api/issue`` (Google/Apple ENX verification server) with the
message's fields and an idempotency ``uuid`` fixed by the outbox key; the
server texts the person a link. The server refuses a second request with the
same uuid, so an interrupted request is simply repeated: "uuid already
exists" means it was taken the first time.
"""

from __future__ import annotations

import requests
from django.conf import settings

from epitrace.outreach import conf
from epitrace.outreach.keys import request_uuid
from epitrace.outreach.transports import Accepted, Ambiguous, Outgoing, Permanent, Transient

FIELDS = ("testType", "symptomDate", "testDate", "tzOffset")


class ExposureNotificationTransport:
    def __init__(self) -> None:
        self.session = requests.Session()
        self.url = str(settings.EPITRACE_EN_SERVER_URL).rstrip("/") + "/api/issue"
        self.session.headers.update(
            {"X-API-Key": str(settings.EPITRACE_EN_API_KEY), "Accept": "application/json"}
        )

    def send(self, message: Outgoing) -> Accepted:
        body = {k: message.payload[k] for k in FIELDS if message.payload.get(k) is not None}
        body.update({"phone": message.address, "uuid": request_uuid(message.key)})
        try:
            response = self.session.post(self.url, json=body, timeout=conf.request_timeout())
        except requests.ConnectionError as error:
            raise Ambiguous("network", type(error).__name__) from error
        except requests.RequestException as error:
            raise Ambiguous("network", type(error).__name__) from error
        answer = _json(response)
        if response.status_code == 200 or answer.get("errorCode") == "uuid_already_exists":
            return Accepted(str(answer.get("uuid") or body["uuid"]), "issued")
        text = str(answer.get("error") or response.reason)
        code = str(answer.get("errorCode") or response.status_code)
        if response.status_code == 429 or response.status_code >= 500:
            raise Transient(code, text)
        raise Permanent(code, text)

    def lookup(self, message: Outgoing) -> Accepted | None:
        # Repeating the request with the same uuid is the lookup.
        return None

    def close(self) -> None:
        self.session.close()


def _json(response: requests.Response) -> dict[str, object]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
