"""What exactly is hashed and signed, in one place, so writer and verifier agree.

Everything goes through one canonical JSON form (sorted keys, no spaces,
UTF-8) and carries a domain prefix ("event", "payload", ...) so a MAC made
for one purpose can never be passed off as another. Values are normalised
(UTC timestamps to the microsecond, IP addresses in their compressed form)
the way the database gives them back, so a row hashes the same before and
after a round trip through PostgreSQL or SQLite.

Every event is hashed twice in its life (written, then verified), at the
importer's thousands a minute, so the event header, whose values are text,
integers and nulls, is written out directly rather than through the general
encoder; :func:`header_json` falls back to :func:`canonical_json` for any
other value, and its tests hold the two to the same bytes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import ipaddress
import json
import uuid
from json.encoder import encode_basestring
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


# What json.dumps(value, **these options) would build on every call, built once.
_ENCODER = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    allow_nan=False,
    default=_default,
)


def canonical_json(value: Any) -> str:
    return _ENCODER.encode(value)


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def normal_ip(value: str | None) -> str | None:
    if not value:
        return None
    return _normal_ip(value)


@functools.lru_cache(maxsize=4096)
def _normal_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value


def payload_digest(key: HmacKey, body: str) -> str:
    """A keyed digest: an erased payload cannot be guessed back by brute force."""
    return key.mac(b"payload\0" + body.encode())


def event_header(event: AuditEvent, occurred_at: str | None = None) -> dict[str, Any]:
    """Every immutable field of an event, with the payload digest and the link.

    ``occurred_at``: ``utc_text(event.occurred_at)`` when the caller has it
    already (a writer stamps a whole batch with one time).
    """
    return {
        "v": FORMAT_VERSION,
        "chain": event.chain,
        "seq": event.seq,
        "key_id": event.key_id,
        "occurred_at": utc_text(event.occurred_at) if occurred_at is None else occurred_at,
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


# event_header's keys, in the order sort_keys puts them.
_HEADER_KEYS = (
    "action",
    "actor_id",
    "actor_label",
    "chain",
    "ip",
    "jurisdiction_id",
    "key_id",
    "object_id",
    "object_type",
    "occurred_at",
    "payload_digest",
    "person_id",
    "prev_hash",
    "reason",
    "seq",
    "user_agent",
    "v",
)
_HEADER_TEMPLATE = "{" + ",".join(f'"{name}":%s' for name in _HEADER_KEYS) + "}"
_MISSING = object()


def header_json(header: dict[str, Any]) -> str:
    """``canonical_json(header)`` of an event header: the same text, written directly.

    Text goes through the function the encoder itself uses for text with
    ``ensure_ascii=False``, integers through ``int.__repr__`` as the encoder
    writes them. Any other value (a bool, a float, a date...) and any other
    set of keys take the general path.
    """
    if len(header) != len(_HEADER_KEYS):
        return canonical_json(header)
    values: list[str] = []
    for name in _HEADER_KEYS:
        value = header.get(name, _MISSING)
        if value is None:
            values.append("null")
        elif isinstance(value, str):
            values.append(encode_basestring(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            values.append(int.__repr__(value))
        else:
            return canonical_json(header)
    return _HEADER_TEMPLATE % tuple(values)


def event_hash(key: HmacKey, event: AuditEvent, occurred_at: str | None = None) -> str:
    return key.mac(b"event\0" + header_json(event_header(event, occurred_at)).encode())


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
