"""Who may change disease profiles, and who may preview a change.

Every staff member may read the profiles: they are published guidance, not
personal data. Changing one changes the rules for every jurisdiction, so it
takes ``diseases.change_profile`` (state administrators, epidemiologists)
held at the state, the root of the tree. The what-if preview shows the
user's own monitorees only, so the capability anywhere is enough for it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from epitrace.accounts.scope import has_capability, visible_jurisdiction_ids
from epitrace.jurisdictions.models import Jurisdiction

CHANGE_PROFILE = "diseases.change_profile"


def may_change_profiles(user: Any) -> bool:
    ids = visible_jurisdiction_ids(user, CHANGE_PROFILE)
    if ids is None:  # the system identity
        return True
    root = Jurisdiction.objects.filter(parent__isnull=True).values_list("pk", flat=True).first()
    return root is not None and root in ids


def may_preview_changes(user: Any) -> bool:
    return has_capability(user, CHANGE_PROFILE)


def require_change(user: Any) -> None:
    if not may_change_profiles(user):
        raise PermissionDenied("Only state administrators and epidemiologists change profiles.")


def require_preview(user: Any) -> None:
    if not may_preview_changes(user):
        raise PermissionDenied("Only administrators and epidemiologists preview profile changes.")
