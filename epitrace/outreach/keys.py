"""Idempotency keys and the values derived from them.

A key names one message that may exist once: the channel, the purpose, whom
it is for (the person, or the address when there is no person) and the
person's local day. The channel is part of it because a person may be sent
the same link by SMS and by e-mail; within a channel, one per purpose per
day. An address appears only hashed, so a key can travel in a callback URL
or a Message-ID without carrying a phone number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from django.db.models import Value
from django.db.models.functions import Cast, Concat

_NAMESPACE = uuid.UUID("5b0e8f3e-1f0c-4d8a-9a55-3c1f2d0e7a11")


def idempotency_key(
    channel: str, purpose: str, *, person_id: int | None, address: str, day: dt.date
) -> str:
    return f"{channel}:{purpose}:{subject(person_id, address)}:{day:%Y%m%d}"


def subject(person_id: int | None, address: str) -> str:
    if person_id is not None:
        return f"p{person_id}"
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:20]
    return f"a{digest}"


def person_key_sql(channel: str, purpose: str, day: dt.date, person_field: str) -> Concat:
    """The same key as :func:`idempotency_key`, computed by the database (bulk builds)."""
    from django.db.models import CharField, F

    return Concat(
        Value(f"{channel}:{purpose}:p"),
        Cast(F(person_field), output_field=CharField()),
        Value(f":{day:%Y%m%d}"),
        output_field=CharField(),
    )


def message_id(key: str, domain: str) -> str:
    """An e-mail Message-ID fixed by the key: a resend would carry the same one."""
    return f"<{uuid.uuid5(_NAMESPACE, key).hex}@{domain}>"


def request_uuid(key: str) -> str:
    """The EN verification server's idempotency ``uuid`` for a key."""
    return str(uuid.uuid5(_NAMESPACE, key))
