"""Who may word messages: holders of ``wording.change_wording``, over their subtree.

A user administrator at the state, or a state or local administrator, words
the messages of the jurisdictions where they hold the capability and of
nothing else: another department's wording pages answer 404, as if they did
not exist (style rule 2).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from epitrace.accounts.scope import has_capability, visible_jurisdiction_ids
from epitrace.jurisdictions.models import Jurisdiction

CAPABILITY = "wording.change_wording"


def words_messages(user: Any) -> bool:
    return has_capability(user, CAPABILITY)


def editable_jurisdictions(user: Any) -> list[Jurisdiction]:
    """The jurisdictions ``user`` may word messages for, the state first."""
    ids = visible_jurisdiction_ids(user, CAPABILITY)
    rows = Jurisdiction.objects.all() if ids is None else Jurisdiction.objects.filter(pk__in=ids)
    return list(rows.order_by("path"))


def editable_or_404(user: Any, jurisdiction_id: int) -> Jurisdiction:
    ids = visible_jurisdiction_ids(user, CAPABILITY)
    if ids is not None and jurisdiction_id not in ids:
        raise Http404
    found = Jurisdiction.objects.filter(pk=jurisdiction_id).first()
    if found is None:
        raise Http404
    return found
