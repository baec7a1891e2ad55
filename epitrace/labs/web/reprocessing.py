"""Sending rejected lab messages through the importer again, corrected or not.

The errors screen calls these; a command or the API could call them too.
Each message is locked, re-checked (still rejected, still within the user's
reach to change) and reprocessed in its own transaction, with its audit
event, so one bad message does not undo the others and two administrators
pressing the button together process a message once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from epitrace.audit.services import Action, changes, record, record_change, snapshot
from epitrace.labs.choices import MessageState
from epitrace.labs.ingest.pipeline import Summary, reprocess
from epitrace.labs.models import RawMessage

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"
SKIPPED = "skipped"  # no longer rejected (someone else reprocessed it) or out of reach
_STATE_FIELDS = ("state", "error", "jurisdiction")


@dataclass(frozen=True)
class Outcome:
    """What became of one message sent again."""

    message_id: int
    result: str  # ACCEPTED, DUPLICATE, REJECTED or SKIPPED
    reason: str = ""
    results_stored: int = 0


def do_reprocess_messages(
    message_ids: Iterable[int], *, acting_user: Any, request: HttpRequest | None = None
) -> list[Outcome]:
    """Reprocess each rejected message among ``message_ids`` the user may change."""
    outcomes = []
    for pk in message_ids:
        with transaction.atomic():
            raw = _locked(pk, acting_user)
            outcomes.append(
                _reprocess_one(raw, acting_user, request) if raw else Outcome(pk, SKIPPED)
            )
    return outcomes


def do_correct_message(
    message_id: int, content: str, *, acting_user: Any, request: HttpRequest | None = None
) -> Outcome:
    """Replace a rejected message's text with a correction, then reprocess it."""
    with transaction.atomic():
        raw = _locked(message_id, acting_user)
        if raw is None:
            return Outcome(message_id, SKIPPED)
        before = snapshot(raw, ["content"])
        raw.content = content
        raw.save(update_fields=["content"])
        # The text is personal data: record_change keeps it in the erasable payload only.
        record_change(
            acting_user,
            raw,
            before,
            snapshot(raw, ["content"]),
            request=request,
            reason="lab message corrected",
        )
        return _reprocess_one(raw, acting_user, request)


def _locked(pk: int, user: Any) -> RawMessage | None:
    """The message, locked until the transaction ends, if rejected and the user's to change."""
    return (
        RawMessage.objects.restrict(user, "change")
        .select_for_update()
        .filter(pk=pk, state=MessageState.REJECTED)
        .first()
    )


def _reprocess_one(raw: RawMessage, user: Any, request: HttpRequest | None) -> Outcome:
    before = snapshot(raw, _STATE_FIELDS)
    summary = reprocess([raw], actor=user)
    outcome = _outcome(raw, summary)
    # One event per message sent again, even when nothing changed (a duplicate):
    # who pressed the button, and what it did, is part of the record.
    record(
        Action.UPDATE,
        actor=user,
        obj=raw,
        request=request,
        reason="lab message reprocessed",
        payload={
            "reprocess": outcome.result,
            "changes": changes(before, snapshot(raw, _STATE_FIELDS)),
        },
    )
    return outcome


def _outcome(raw: RawMessage, summary: Summary) -> Outcome:
    if summary.accepted:
        return Outcome(raw.pk, ACCEPTED, results_stored=summary.results)
    if summary.duplicates:
        return Outcome(raw.pk, DUPLICATE)
    reason = summary.rejections[-1]["reason"] if summary.rejections else raw.error
    return Outcome(raw.pk, REJECTED, reason=reason)
