"""Case investigations: one episode of a disease in one person.

A case belongs to the jurisdiction of the person's residence when it was
opened (it moves with a transfer) and carries the dates the rules run on:
report, specimen collection, symptom onset and isolation.
"""

from __future__ import annotations

from collections.abc import Set

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epitrace.cases.choices import CaseStatus, Classification, InvestigationStatus
from epitrace.core.models import RestrictedManager, TimeStampedModel


class Case(TimeStampedModel):
    """One person's episode of a reportable disease, under investigation or closed."""

    # Person and jurisdiction are indexed by case_unique_episode and
    # case_jur_status, which begin with them: no single-column twins to write.
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    disease = models.ForeignKey("diseases.Disease", on_delete=models.PROTECT, related_name="+")
    profile = models.ForeignKey(
        "diseases.DiseaseProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The profile version in force on the case's date."),
    )
    episode = models.PositiveSmallIntegerField(
        default=1, help_text=_("1 for the first infection, 2 after a reinfection...")
    )
    classification = models.CharField(max_length=16, choices=Classification.choices)
    status = models.CharField(max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    investigation_status = models.CharField(
        max_length=16, choices=InvestigationStatus.choices, default=InvestigationStatus.NEW
    )
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    report_date = models.DateField(help_text=_("When public health learned of the case."))
    specimen_date = models.DateField(
        null=True, blank=True, help_text=_("Collection date of the first positive specimen.")
    )
    onset_date = models.DateField(null=True, blank=True)
    asymptomatic = models.BooleanField(default=False)
    isolation_start = models.DateField(null=True, blank=True)
    isolation_end = models.DateField(null=True, blank=True)
    hospitalized = models.BooleanField(null=True, blank=True)
    died = models.BooleanField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Not indexed: queues order their work items, not cases, by priority, and
    # an unindexed column lets PostgreSQL update it in place (HOT) on every import.
    priority = models.IntegerField(
        default=0, help_text=_("Higher is called first; see cases/priority.py.")
    )

    objects = RestrictedManager()
    person_paths = ("person_id",)

    class Meta:
        ordering = ["-report_date", "-id"]
        indexes = [
            models.Index(fields=["jurisdiction", "status", "-report_date"], name="case_jur_status"),
            models.Index(fields=["-report_date", "-id"], name="case_report_date"),
            models.Index(fields=["investigation_status"], name="case_investigation"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "disease", "episode"], name="case_unique_episode"
            ),
            models.CheckConstraint(
                condition=Q(isolation_end__isnull=True)
                | Q(isolation_start__isnull=True)
                | Q(isolation_end__gte=models.F("isolation_start")),
                name="case_isolation_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="case_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return Q(jurisdiction_id__in=ids)

    @property
    def number(self) -> str:
        """The case number staff read over the phone."""
        return f"C-{self.pk:07d}" if self.pk else "C-new"
