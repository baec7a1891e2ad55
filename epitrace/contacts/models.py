"""Exposures: a case's contact, with when, where and how close.

The contact belongs to the jurisdiction of their own residence, which may
differ from the case's; the case's jurisdiction keeps sight of the exposure
(and of the contact person) so follow-up never falls between two departments.
"""

from __future__ import annotations

from collections.abc import Set

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epitrace.contacts.choices import MonitoringStatus, Proximity, Relation, Setting
from epitrace.core.models import RestrictedManager, TimeStampedModel


class Exposure(TimeStampedModel):
    """A contact person exposed to a case, the link of a transmission chain."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="exposures")
    contact = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="exposures_as_contact"
    )
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        on_delete=models.PROTECT,
        related_name="exposures",
        help_text=_("The contact's jurisdiction of residence."),
    )
    first_exposure_date = models.DateField(null=True, blank=True)
    last_exposure_date = models.DateField()
    ongoing = models.BooleanField(
        default=False, help_text=_("Still exposed (e.g. lives with the case).")
    )
    setting = models.CharField(max_length=16, choices=Setting.choices, default=Setting.OTHER)
    relation = models.CharField(max_length=16, choices=Relation.choices, default=Relation.OTHER)
    proximity = models.CharField(
        max_length=16, choices=Proximity.choices, default=Proximity.UNKNOWN
    )
    monitoring_status = models.CharField(
        max_length=16, choices=MonitoringStatus.choices, default=MonitoringStatus.NOT_STARTED
    )
    quarantine_end = models.DateField(null=True, blank=True)
    resulting_case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_exposures",
        help_text=_("The contact's own case, when they became one."),
    )

    objects = RestrictedManager()
    person_paths = ("case__person_id", "contact_id")

    class Meta:
        ordering = ["-last_exposure_date", "-id"]
        indexes = [models.Index(fields=["jurisdiction", "monitoring_status"], name="exposure_jur")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "contact"], name="exposure_unique_case_contact"
            ),
            models.CheckConstraint(
                condition=Q(first_exposure_date__isnull=True)
                | Q(first_exposure_date__lte=models.F("last_exposure_date")),
                name="exposure_first_before_last",
            ),
        ]

    def __str__(self) -> str:
        return f"exposure {self.pk}"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return Q(jurisdiction_id__in=ids) | Q(case__jurisdiction_id__in=ids)
