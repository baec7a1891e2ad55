"""Staff accounts, teams and memberships.

A user works for one or more jurisdictions through memberships, each with a
role. Teams group tracers under a supervisor inside one jurisdiction.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
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

    session_version = models.PositiveIntegerField(
        default=0, help_text=_("Raised to end every session of the user (log out everywhere).")
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

    def get_session_auth_hash(self) -> str:
        # Django ends a session whose stored hash no longer matches: folding the
        # version in makes "log out everywhere" a single counter increment.
        return salted_hmac(
            "epitrace.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_version}",
            algorithm="sha256",
        ).hexdigest()


class StaffSession(AbstractBaseSession):
    """A sign-in session: Django's, with the signed-in user beside its data.

    Every staff request reads its session, then its user and their
    memberships: with the user's id in a column of its own, that is one
    statement (``epitrace.accounts.sessions``). A deleted account's sessions go
    with it.
    """

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        db_table = "accounts_session"
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls) -> Any:
        from epitrace.accounts.sessions import SessionStore  # the store imports this module

        return SessionStore


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


API_KEY_PREFIX_LENGTH = 8


class ApiClient(TimeStampedModel):
    """A system that calls the REST API (a lab, the surveillance system, a partner).

    Scoped like a membership: one jurisdiction subtree and an explicit list of
    capabilities. The secret is shown once at creation and stored only as a
    SHA-256 digest: it is 256 random bits, so a slow hash adds nothing.
    """

    name = models.CharField(max_length=120)
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="api_clients"
    )
    capabilities = models.JSONField(default=list)
    key_prefix = models.CharField(max_length=API_KEY_PREFIX_LENGTH, unique=True)
    key_digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "name"], name="apiclient_unique_name_per_jurisdiction"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def digest(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def new_key(cls) -> tuple[str, str, str]:
        """(full key to show once, prefix to store, digest to store)."""
        prefix = secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
        secret = secrets.token_urlsafe(32)
        key = f"et_{prefix}_{secret}"
        return key, prefix, cls.digest(key)

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at", "updated_at"])
