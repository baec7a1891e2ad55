"""Changes to a jurisdiction's message wording: save, revert to the default.

Both are atomic, audited (the text before and after in the payload) and
check the wording again whoever calls them: the screens, a script, an API.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from epitrace.audit.services import Action, record
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.outreach.choices import Channel
from epitrace.outreach.rendering import templates
from epitrace.people.choices import LANGUAGE_NAMES
from epitrace.wording.checks import problems
from epitrace.wording.models import CHANNELS, MessageWording

FIELDS = ("subject", "body", "active")


def do_save_wording(
    jurisdiction: Jurisdiction,
    channel: str,
    template: str,
    language: str,
    *,
    subject: str,
    body: str,
    acting_user: Any,
) -> MessageWording:
    """Create or replace the jurisdiction's wording and make it the one in use."""
    _known(channel, template, language)
    subject = subject.strip() if channel == Channel.EMAIL else ""
    body = body.replace("\r\n", "\n").strip()
    found = problems(channel, template, subject, body)
    if found.errors:
        raise ValidationError(found.errors)
    with transaction.atomic():
        row = (
            MessageWording.objects.select_for_update()
            .filter(
                jurisdiction=jurisdiction, channel=channel, template=template, language=language
            )
            .first()
        )
        before = _state(row)
        if row is None:
            row = MessageWording(
                jurisdiction=jurisdiction, channel=channel, template=template, language=language
            )
        row.subject, row.body, row.active = subject, body, True
        row.updated_by, row.updated_at = acting_user, timezone.now()
        row.save()
        record(
            Action.CREATE if before is None else Action.UPDATE,
            actor=acting_user,
            obj=row,
            jurisdiction_id=jurisdiction.pk,
            reason="message wording saved",
            payload={"before": before, "after": _state(row)},
        )
    return row


def do_revert_wording(row: MessageWording, *, acting_user: Any) -> MessageWording:
    """Back to the default (the parent's wording or the catalogue); the text is kept."""
    with transaction.atomic():
        row = MessageWording.objects.select_for_update().get(pk=row.pk)
        if not row.active:
            return row
        before = _state(row)
        row.active = False
        row.updated_by, row.updated_at = acting_user, timezone.now()
        row.save(update_fields=["active", "updated_by", "updated_at"])
        record(
            Action.UPDATE,
            actor=acting_user,
            obj=row,
            jurisdiction_id=row.jurisdiction_id,
            reason="message wording reverted to the default",
            payload={"before": before, "after": _state(row)},
        )
    return row


def _known(channel: str, template: str, language: str) -> None:
    if channel not in CHANNELS or template not in templates(channel):
        raise ValidationError(f"no message template {channel}/{template}")
    if language not in LANGUAGE_NAMES:
        raise ValidationError(f"not a language code offered: {language!r}")


def _state(row: MessageWording | None) -> dict[str, Any] | None:
    return None if row is None else {name: getattr(row, name) for name in FIELDS}
