"""Exposures: a case's contact, with when, where and how close.

The contact belongs to the jurisdiction of their own residence, which may
differ from the case's; the case's jurisdiction keeps sight of the exposure
(and of the contact person) so follow-up never falls between two departments.

An exposure may have no known source case: a person who got an exposure
notification on their phone and enrolled through the portal was near
someone whom nobody can name. Such an exposure carries its own disease and
the profile version in force on its last exposure date, which give its
quarantine rules; one with a case follows the case's profile.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epitrace.contacts.choices import (
    ExposureSource,
    MonitoringStatus,
    Proximity,
    Relation,
    Setting,
)
from epitrace.core.models import RestrictedManager, TimeStampedModel


class Exposure(TimeStampedModel):
    """A contact person exposed to a case, the link of a transmission chain."""

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exposures",
        help_text=_("The source case; empty when nobody knows who it was."),
    )
    disease = models.ForeignKey(
        "diseases.Disease",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The case's disease, or the one a case-less exposure was reported for."),
    )
    profile = models.ForeignKey(
        "diseases.DiseaseProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The rules of a case-less exposure: the version in force on its last exposure "
            "date. An exposure to a case follows the case's profile."
        ),
    )
    source = models.CharField(
        max_length=16,
        choices=ExposureSource.choices,
        default=ExposureSource.TRACER,
        db_default=ExposureSource.TRACER,  # rows written in bulk by raw SQL get it too
    )
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
            # Case-less rows (case NULL) are left alone by this one: NULLs differ.
            models.UniqueConstraint(
                fields=["case", "contact"], name="exposure_unique_case_contact"
            ),
            # One open self-enrolment per person and disease: enrolling twice is one record.
            models.UniqueConstraint(
                fields=["contact", "disease"],
                condition=Q(
                    case__isnull=True,
                    source=ExposureSource.EN_ENROLMENT,
                    monitoring_status__in=[
                        MonitoringStatus.NOT_STARTED,
                        MonitoringStatus.MONITORING,
                    ],
                ),
                name="exposure_one_open_enrolment",
            ),
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(disease__isnull=False),
                name="exposure_case_or_disease",
            ),
            models.CheckConstraint(
                condition=Q(first_exposure_date__isnull=True)
                | Q(first_exposure_date__lte=models.F("last_exposure_date")),
                name="exposure_first_before_last",
            ),
        ]

    def __str__(self) -> str:
        return f"exposure {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An exposure to a case is of the case's disease, whoever creates it.
        case = self.case if self.case_id is not None else None
        if self.disease_id is None and case is not None:
            self.disease_id = case.disease_id
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "disease"}
        super().save(*args, **kwargs)

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return Q(jurisdiction_id__in=ids) | Q(case__jurisdiction_id__in=ids)
