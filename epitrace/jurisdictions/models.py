"""The jurisdiction tree: the state at the root, local health departments below.

Each node keeps a materialised ``path`` ("/1/7/") so a subtree is one
indexed prefix query. Towns and ZIP codes map an address to the local
health department of residence.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JurisdictionKind(models.TextChoices):
    STATE = "state", _("State")
    REGION = "region", _("Region")
    LHD = "lhd", _("Local health department")
    DISTRICT = "district", _("Health district")


class JurisdictionQuerySet(models.QuerySet["Jurisdiction"]):
    def subtree_ids(self, paths: Iterable[str]) -> frozenset[int]:
        """Ids of every jurisdiction at or below any of ``paths``."""
        query = models.Q()
        for path in set(paths):
            query |= models.Q(path__startswith=path)
        if not query:
            return frozenset()
        return frozenset(self.filter(query).values_list("id", flat=True))

    def root(self) -> Jurisdiction:
        return self.get(parent__isnull=True)


class Jurisdiction(models.Model):
    """A public-health authority: the state or a local health department.

    A record belongs to the jurisdiction of residence and is visible there and
    in every ancestor (dual reporting: the LHD and the state).
    """

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=JurisdictionKind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    state_code = models.CharField(max_length=2, help_text=_("USPS code of the state."))
    time_zone = models.CharField(max_length=64, default="America/New_York")
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)

    objects = JurisdictionQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent"],
                condition=models.Q(parent__isnull=True),
                name="jurisdiction_single_root",
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=False) | models.Q(kind="state"),
                name="jurisdiction_root_is_state",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        path = f"{self.parent.path if self.parent else '/'}{self.pk}/"
        if path != self.path:
            self.path = path
            Jurisdiction.objects.filter(pk=self.pk).update(path=path)

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    def ancestors_and_self(self) -> list[Jurisdiction]:
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        by_id = Jurisdiction.objects.in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]


class Town(models.Model):
    """A town or city, and the local health department that serves it."""

    name = models.CharField(max_length=120)
    state_code = models.CharField(max_length=2)
    county = models.CharField(max_length=120, blank=True)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="towns")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["state_code", "name"], name="town_unique_per_state")
        ]

    def __str__(self) -> str:
        return self.name


class PostalCode(models.Model):
    """A 5-digit ZIP code and the town (and so the LHD) it is assigned to."""

    code = models.CharField(max_length=5, unique=True)
    town = models.ForeignKey(Town, on_delete=models.CASCADE, related_name="postal_codes")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{5}$"), name="postalcode_five_digits"
            )
        ]

    def __str__(self) -> str:
        return self.code


class RecordShare(models.Model):
    """A person's record shared with another jurisdiction, with a reason.

    Sharing a person shares their cases, lab results and exposures: the unit a
    school's or a college's health department needs to work a cluster. A
    share is visible on the record and revocable; revoked shares are kept.
    """

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="shares")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["jurisdiction", "person"], name="share_jurisdiction_person"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "jurisdiction"],
                condition=models.Q(revoked_at__isnull=True),
                name="share_one_active_per_jurisdiction",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | models.Q(revoked_by__isnull=False),
                name="share_revocation_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"share {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Transfer(models.Model):
    """A person's record moved to another jurisdiction (an address change).

    The history of where a record lived: the record itself carries only its
    current jurisdiction.
    """

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="transfers")
    from_jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    to_jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    moved_cases = models.PositiveIntegerField(default=0)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    moved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-moved_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_jurisdiction=models.F("to_jurisdiction")),
                name="transfer_changes_jurisdiction",
            )
        ]

    def __str__(self) -> str:
        return f"transfer {self.pk}"


class BreakGlass(models.Model):
    """Emergency read access to one person outside the user's jurisdictions.

    ``person_id`` is a plain number, not a foreign key: asking for a record
    that does not exist must look exactly like asking for one that does.
    The owning jurisdiction's director sees every use.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass"
    )
    person_id = models.BigIntegerField(db_index=True)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "expires_at"], name="breakglass_user_expiry")]

    def __str__(self) -> str:
        return f"break-glass {self.pk}"
