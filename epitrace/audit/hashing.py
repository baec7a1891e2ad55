"""What exactly is hashed and signed, in one place, so writer and verifier agree.

Everything goes through one canonical JSON form (sorted keys, no spaces,
UTF-8) and carries a domain prefix ("event", "payload", ...) so a MAC made
for one purpose can never be passed off as another. Values are normalised
(UTC timestamps to the microsecond, IP addresses in their compressed form)
the way the database gives them back, so a row hashes the same before and
after a round trip through PostgreSQL or SQLite.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import ipaddress
import json
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from epitrace.audit.keys import HmacKey
    from epitrace.audit.models import AuditEvent

FORMAT_VERSION = 1


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return utc_text(value) if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str)
    pk = getattr(value, "pk", None)  # a model instance: its key, never its str()
    if pk is not None:
        return pk
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def normal_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value


def payload_digest(key: HmacKey, body: str) -> str:
    """A keyed digest: an erased payload cannot be guessed back by brute force."""
    return key.mac(b"payload\0" + body.encode())


def event_header(event: AuditEvent) -> dict[str, Any]:
    """Every immutable field of an event, with the payload digest and the link."""
    return {
        "v": FORMAT_VERSION,
        "chain": event.chain,
        "seq": event.seq,
        "key_id": event.key_id,
        "occurred_at": utc_text(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "person_id": event.person_id,
        "jurisdiction_id": event.jurisdiction_id,
        "ip": normal_ip(event.ip),
        "user_agent": event.user_agent,
        "reason": event.reason,
        "payload_digest": event.payload_digest,
        "prev_hash": event.prev_hash,
    }


def event_hash(key: HmacKey, event: AuditEvent) -> str:
    return key.mac(b"event\0" + canonical_json(event_header(event)).encode())


def genesis_hash(ledger: str, chain: str) -> str:
    """The "previous hash" of a chain's first row: binds the chain to this ledger."""
    return hashlib.sha256(f"epitrace-audit-genesis\0{ledger}\0{chain}".encode()).hexdigest()


def ledger_mac(key: HmacKey, ledger: str, created_at: dt.datetime) -> str:
    return key.mac(f"ledger\0{ledger}\0{utc_text(created_at)}".encode())


def checkpoint_message(
    ledger: str, chain: str, seq: int, head_hash: str, signed_at: str, key_id: str
) -> bytes:
    statement = {
        "v": FORMAT_VERSION,
        "ledger": ledger,
        "chain": chain,
        "seq": seq,
        "hash": head_hash,
        "signed_at": signed_at,
        "key_id": key_id,
    }
    return b"checkpoint\0" + canonical_json(statement).encode()
