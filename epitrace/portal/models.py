"""Portal links and enrolment codes: opaque, expiring, stored hashed.

A link carries a random token and nothing else (no id, no name). Only its
SHA-256 digest is stored, so a copy of the database cannot be turned into
working links. A token opens one purpose for one person (and the case or
exposure it was issued for) until it expires or staff revoke it.
"""

from __future__ import annotations

from collections.abc import Set

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epitrace.core.models import RestrictedManager, TimeStampedModel
from epitrace.portal.choices import LinkPurpose

MAX_CODE_ATTEMPTS = 5


class PortalLink(TimeStampedModel):
    # Unique through a constraint, not unique=True: no LIKE twin of the index.
    digest = models.CharField(max_length=64, help_text=_("SHA-256 of the token."))
    purpose = models.CharField(max_length=32, choices=LinkPurpose.choices)
    # Indexed by portal_link_person, which begins with it.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="portal_links", db_index=False
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="portal_links"
    )
    exposure = models.ForeignKey(
        "contacts.Exposure",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="portal_links",
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    first_used_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)

    objects = RestrictedManager()
    person_paths = ("person",)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "purpose"], name="portal_link_person")]
        constraints = [models.UniqueConstraint(fields=["digest"], name="portallink_unique_digest")]

    def __str__(self) -> str:
        return f"portal link {self.pk} ({self.purpose})"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        from epitrace.people.models import Person

        return Q(person__in=Person.objects.filter(Person.scope_q(ids)).values("pk"))

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class EnrolmentCode(TimeStampedModel):
    """A code texted to a phone, proving that the person enrolling holds that phone.

    Holds nothing readable: the code and the phone are kept as keyed digests
    (HMAC with the installation's secret), so a copy of the table yields no
    phone number and no usable code. What the person typed waits in their
    portal session. A code lives a quarter of an hour and allows five tries.
    """

    phone_digest = models.CharField(max_length=64, db_index=True)
    code_digest = models.CharField(max_length=64)
    message = models.OneToOneField(
        "outreach.OutboxMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The SMS that carried the code."),
    )
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(attempts__lte=MAX_CODE_ATTEMPTS), name="enrolmentcode_attempts_capped"
            )
        ]

    def __str__(self) -> str:
        return f"enrolment code {self.pk}"

    @property
    def open(self) -> bool:
        """Still worth a try: not used, not expired, tries left."""
        return (
            self.used_at is None
            and self.expires_at > timezone.now()
            and self.attempts < MAX_CODE_ATTEMPTS
        )
