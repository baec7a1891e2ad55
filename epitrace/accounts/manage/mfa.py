"""Second factors as the administration screens see them: enrolled or not, and reset.

"Enrolled" means what ``epitrace.accounts.mfa`` counts as a second factor
(an authenticator app or a security key); recovery codes only stand in for
one. A reset removes every factor, recovery codes included: at the next
sign-in the user must enrol again, since MFA is mandatory for staff.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef

from epitrace.accounts.mfa import STRONG_TYPES, has_mfa
from epitrace.accounts.models import User

__all__ = ["enrolled_annotation", "has_mfa", "remove_all"]


def enrolled_annotation() -> Exists:
    """``Exists(...)`` to annotate a user queryset with "has a second factor"."""
    return Exists(Authenticator.objects.filter(user=OuterRef("pk"), type__in=STRONG_TYPES))


def remove_all(user: User) -> list[str]:
    """Delete every authenticator of ``user``; the kinds removed, for the audit trail."""
    factors = Authenticator.objects.filter(user=user)
    kinds = sorted(set(factors.values_list("type", flat=True)))
    factors.delete()
    return kinds
