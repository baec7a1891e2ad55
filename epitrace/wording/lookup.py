"""The overrides that apply to a message: the nearest jurisdiction up the tree first."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef
from django.db.models.functions import Length

from epitrace.jurisdictions.models import Jurisdiction
from epitrace.wording.models import MessageWording


def nearest(
    channel: str, template: str, languages: Sequence[str], jurisdiction_id: int
) -> dict[str, MessageWording]:
    """Per language, the active override of ``jurisdiction_id`` or its nearest ancestor.

    One query: an override applies when its jurisdiction's path is a prefix
    of the person's jurisdiction's path (the tree's materialised paths).
    """
    below = Jurisdiction.objects.filter(
        pk=jurisdiction_id, path__startswith=OuterRef("jurisdiction__path")
    )
    rows = (
        MessageWording.objects.filter(
            channel=channel, template=template, language__in=list(languages), active=True
        )
        .filter(Exists(below))
        .order_by(Length("jurisdiction__path").desc())
        .only("pk", "language", "subject", "body")
    )
    found: dict[str, MessageWording] = {}
    for row in rows:
        found.setdefault(row.language, row)
    return found
