"""The audit door: every part of Epitrace records reads and changes through here.

Views, APIs, the importer, jobs and commands call these functions inside
their own transaction, so the audit row commits or rolls back with the change
it describes. Only ids and labels go in the event row; personal values
(before/after of changed fields, search terms) go in the payload, which
``purge`` can erase while the chain stays verifiable (docs/audit.md).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest

from epitrace.audit import conf
from epitrace.audit.chain import Draft, append
from epitrace.audit.choices import Action
from epitrace.audit.db import payload_erasure
from epitrace.audit.hashing import canonical_json
from epitrace.audit.models import AuditEvent, AuditPayload

__all__ = [
    "Action",
    "ObjectRef",
    "changes",
    "client_ip",
    "do_erase_payloads",
    "record",
    "record_bulk",
    "record_change",
    "record_denied",
    "record_read",
    "record_search",
    "snapshot",
]

PERSON_LABEL = "people.person"
_SECRET_FIELD = re.compile(r"password|secret|token|otp|recovery", re.IGNORECASE)
_REDACTED = "[redacted]"
_ERASE_BATCH = 500


@dataclass(frozen=True)
class ObjectRef:
    """A record named by type and id, for when the object itself is not at hand
    (a denied lookup, a bulk write by ids)."""

    label: str
    pk: Any
    person_id: int | None = None
    jurisdiction_id: int | None = None

    @classmethod
    def of(cls, model: type[models.Model] | str, pk: Any) -> ObjectRef:
        label = model if isinstance(model, str) else model._meta.label_lower
        return cls(label=label, pk=pk, person_id=_as_int(pk) if label == PERSON_LABEL else None)


Target = models.Model | ObjectRef


def record(
    action: str,
    *,
    actor: Any,
    obj: Target | None = None,
    person_id: int | None = None,
    jurisdiction_id: int | None = None,
    request: HttpRequest | None = None,
    reason: str = "",
    payload: Any = None,
) -> AuditEvent:
    """Write one audit event in the caller's transaction and return it."""
    draft = _draft(action, actor, obj, request, reason, payload)
    if person_id is not None:
        draft.person_id = person_id
    if jurisdiction_id is not None:
        draft.jurisdiction_id = jurisdiction_id
    return append([draft])[0]


def record_read(
    actor: Any, obj: Target, *, request: HttpRequest | None = None, reason: str = ""
) -> AuditEvent:
    """A record was shown (page, API, export row, a search result opened)."""
    return record(Action.READ, actor=actor, obj=obj, request=request, reason=reason)


def record_change(
    actor: Any,
    obj: Target,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    request: HttpRequest | None = None,
    reason: str = "",
    action: str = Action.UPDATE,
) -> AuditEvent | None:
    """Field-level before/after of the fields that changed; None when nothing did.

    Take ``before`` with :func:`snapshot` before the change and ``after`` once
    it is saved. For a creation pass ``{}`` as before and ``action="create"``.
    """
    diff = changes(before, after)
    if not diff and action == Action.UPDATE:
        return None
    payload = {"changes": diff}
    return record(action, actor=actor, obj=obj, request=request, reason=reason, payload=payload)


def record_bulk(
    actor: Any,
    action: str,
    objects_or_ids: Iterable[Any],
    *,
    model: type[models.Model] | str | None = None,
    request: HttpRequest | None = None,
    reason: str = "",
    payload: Any = None,
    payloads: Sequence[Any] | None = None,
) -> list[AuditEvent]:
    """One event per object, written together under one chain lock (importer, bulk edits).

    ``objects_or_ids`` holds model instances, :class:`ObjectRef` s, or plain
    ids of ``model``. ``payload`` is shared by all events; ``payloads`` gives
    one per object, in the same order.
    """
    targets = [_target(item, model) for item in objects_or_ids]
    if payloads is not None and len(payloads) != len(targets):
        raise ValueError("payloads must give one payload per object")
    per_object = payloads if payloads is not None else [payload] * len(targets)
    who = _who(action, actor, request, reason)  # the same for every event of the call
    drafts = [_drafted(who, target, body) for target, body in zip(targets, per_object, strict=True)]
    return append(drafts)


def record_search(
    actor: Any,
    model: type[models.Model] | str,
    criteria: Mapping[str, Any],
    *,
    result_count: int,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """A search: its terms are personal values, so they go to the erasable payload."""
    label = model if isinstance(model, str) else model._meta.label_lower
    terms = {k: v for k, v in criteria.items() if v not in (None, "", [], ())}
    payload = {"search": terms, "results": result_count}
    return append([_draft(Action.SEARCH, actor, None, request, "", payload, label)])[0]


def record_denied(
    actor: Any,
    model: type[models.Model] | str,
    pk: Any,
    *,
    request: HttpRequest | None = None,
    reason: str = "",
) -> AuditEvent:
    """A lookup of a record out of the user's reach (answered 404)."""
    return record(
        Action.DENIED, actor=actor, obj=ObjectRef.of(model, pk), request=request, reason=reason
    )


# --- Before and after -------------------------------------------------------------


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The stored values of ``obj`` (by attname), as plain JSON values, for ``record_change``."""
    wanted = set(fields) if fields is not None else None
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if wanted is not None and field.name not in wanted and field.attname not in wanted:
            continue
        if getattr(field, "auto_now", False):
            continue  # "last changed" changes every time: not a change of the record
        values[field.attname] = json.loads(canonical_json(field.value_from_object(obj)))
    return values


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose values differ; secrets redacted."""
    diff: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if canonical_json(old) == canonical_json(new):
            continue
        if _SECRET_FIELD.search(name):
            old, new = _REDACTED, _REDACTED
        diff[name] = [old, new]
    return diff


# --- Requests -----------------------------------------------------------------------


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address; X-Forwarded-For only as far as trusted proxies vouch for it."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR")
    hops = conf.proxy_count()
    if hops > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            address = chain[-hops]
    return _address(str(address or "").strip())


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


# --- Purge ------------------------------------------------------------------------------


def do_erase_payloads(person_ids: Iterable[int], *, acting_user: Any, reason: str) -> AuditEvent:
    """Erase the personal values in the audit trail of these persons, keeping the events.

    The events stay (who looked, when, from where) and still verify: the purge
    event written here lists the persons, and verify accepts a missing payload
    only for an event of a person some valid purge event lists.
    """
    ids = sorted({int(pk) for pk in person_ids})
    erased = 0
    with transaction.atomic():
        with payload_erasure():
            for start in range(0, len(ids), _ERASE_BATCH):
                batch = ids[start : start + _ERASE_BATCH]
                targets = AuditPayload.objects.filter(event__person_id__in=batch).exclude(
                    event__action=Action.PURGE
                )
                erased += targets.delete()[0]
        payload = {"erased_persons": ids, "erased_payloads": erased}
        return record(Action.PURGE, actor=acting_user, reason=reason, payload=payload)


# --- Building drafts --------------------------------------------------------------------


# Action.values builds a new list at each call; the importer drafts ~2 events a message.
_ACTIONS = frozenset(Action.values)


@dataclass(frozen=True, slots=True)
class _Who:
    """What the events of one call share: the action, who, from where and why."""

    action: str
    actor_id: int | None
    actor_label: str
    ip: str | None
    user_agent: str
    reason: str


def _who(action: str, actor: Any, request: HttpRequest | None, reason: str) -> _Who:
    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    actor_id, label = _actor(actor)
    return _Who(
        action=action,
        actor_id=actor_id,
        actor_label=_text(label, 150),
        ip=client_ip(request),
        user_agent=_text(request.META.get("HTTP_USER_AGENT", "") if request else "", 256),
        reason=_text(reason, None),
    )


def _draft(
    action: str,
    actor: Any,
    obj: Target | None,
    request: HttpRequest | None,
    reason: str,
    payload: Any,
    object_type: str = "",
) -> Draft:
    return _drafted(_who(action, actor, request, reason), obj, payload, object_type)


def _drafted(who: _Who, obj: Target | None, payload: Any, object_type: str = "") -> Draft:
    object_id, person_id, jurisdiction_id = "", None, None
    if obj is not None:
        object_type, object_id, person_id, jurisdiction_id = _describe(obj)
    return Draft(
        action=who.action,
        actor_id=who.actor_id,
        actor_label=who.actor_label,
        object_type=object_type,
        object_id=object_id,
        person_id=person_id,
        jurisdiction_id=jurisdiction_id,
        ip=who.ip,
        user_agent=who.user_agent,
        reason=who.reason,
        payload=payload,
    )


def _actor(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "anonymous"
    if getattr(actor, "is_system", False):
        return actor.pk, "system"
    return actor.pk, actor.get_username()


def _describe(obj: Target) -> tuple[str, str, Any, Any]:
    """The object type and id, person and jurisdiction an event names for ``obj``."""
    if isinstance(obj, ObjectRef):
        return obj.label, _text(str(obj.pk), 64), obj.person_id, obj.jurisdiction_id
    label = obj._meta.label_lower
    pk = obj.pk
    if label == PERSON_LABEL:
        person_id = pk
    else:
        person_id = getattr(obj, "person_id", None) or getattr(obj, "contact_id", None)
    return label, _text(str(pk), 64), person_id, getattr(obj, "jurisdiction_id", None)


def _target(item: Any, model: type[models.Model] | str | None) -> Target:
    if isinstance(item, (models.Model, ObjectRef)):
        return item
    if model is None:
        raise ValueError("record_bulk needs model= when given ids")
    return ObjectRef.of(model, item)


def _text(value: str, limit: int | None) -> str:
    cleaned = str(value).replace("\x00", "")  # PostgreSQL text cannot hold NUL
    return cleaned[:limit] if limit else cleaned


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
