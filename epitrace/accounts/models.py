"""Staff accounts, teams and memberships.

A user works for one or more jurisdictions through memberships, each with a
role. Teams group tracers under a supervisor inside one jurisdiction.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from epitrace.accounts.roles import Role
from epitrace.core.models import TimeStampedModel

SYSTEM_USERNAME = "system"


class User(AbstractUser):
    """A staff member, or the system identity used by importers and jobs."""

    display_name = models.CharField(max_length=150, blank=True)
    languages = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Languages the user speaks, ISO 639 codes separated by commas."),
    )
    is_system = models.BooleanField(
        default=False,
        help_text=_("The identity of importers, jobs and commands; sees every jurisdiction."),
    )

    class Meta:
        constraints = [
            # Only one row may be the system identity.
            models.UniqueConstraint(
                fields=["is_system"],
                condition=models.Q(is_system=True),
                name="user_single_system_identity",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def language_codes(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]


class Team(TimeStampedModel):
    """A group of staff in one jurisdiction, led by a supervisor."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="teams"
    )
    name = models.CharField(max_length=120)
    languages = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["jurisdiction__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "name"], name="team_unique_name_per_jurisdiction"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A user's role in a jurisdiction (and its subtree), optionally in a team."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )

    class Meta:
        ordering = ["user__username", "jurisdiction__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "jurisdiction", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.jurisdiction}"
