"""The case interview and the calls made to reach the case.

An :class:`Interview` is the tracer's record of the conversation with a case:
identity check, symptoms and onset, isolation, household, settings attended,
the disease profile's questions, unmet needs and notes. It is written while
the tracer types (autosave), so it is held as a draft of raw values, field by
field, each with the browser's edit time: a save that arrives late never
overwrites a newer edit of the same field (see drafts.py). Completing it
validates the whole draft.

A :class:`CallAttempt` is one call, with its outcome, time and caller; the
timeliness measures (first attempt within 24 hours, completed within 48)
are counted from these rows.

Both belong to their case: they are visible where the case is (its
jurisdiction, shares and break-glass of its person).
"""

from __future__ import annotations

from collections.abc import Set

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epitrace.core.models import RestrictedManager, TimeStampedModel
from epitrace.interviews.choices import CallOutcome, InterviewStatus


class InterviewSource(models.TextChoices):
    """Who gave an interview's answers first."""

    STAFF = "staff", _("Tracer")
    PORTAL = "portal", _("Self-interview (portal)")


class Interview(TimeStampedModel):
    """The case investigation interview of one case: a versioned draft, then completed."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="interview")
    profile = models.ForeignKey(
        "diseases.DiseaseProfile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The profile version whose symptoms and questions were asked."),
    )
    status = models.CharField(
        max_length=10, choices=InterviewStatus.choices, default=InterviewStatus.DRAFT
    )
    data = models.JSONField(
        default=dict, blank=True, help_text=_("The draft: raw values by field, as typed.")
    )
    stamps = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Per field, the edit time (ms) of the stored value: older saves lose."),
    )
    answers = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The profile's questions answered: typed values keyed by question key."),
    )
    version = models.PositiveIntegerField(
        default=0, help_text=_("Incremented by every save that changed the draft.")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(
        max_length=8,
        choices=InterviewSource.choices,
        default=InterviewSource.STAFF,
        help_text=_("Who gave the answers first: a tracer, or the case through the portal."),
    )
    self_reported_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the case sent the self-interview; a tracer still reviews it."),
    )

    objects = RestrictedManager()
    person_paths = ("case__person_id",)

    class Meta:
        indexes = [models.Index(fields=["status", "completed_at"], name="interview_completed")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=InterviewStatus.DRAFT, completed_at__isnull=True)
                | Q(status=InterviewStatus.COMPLETED, completed_at__isnull=False),
                name="interview_completed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=InterviewStatus.values), name="interview_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=InterviewSource.values), name="interview_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"interview {self.pk}"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return Q(case__jurisdiction_id__in=ids)

    @property
    def is_completed(self) -> bool:
        return self.status == InterviewStatus.COMPLETED

    @property
    def is_self_reported(self) -> bool:
        return self.self_reported_at is not None


class CallAttempt(models.Model):
    """One call to a case: when, by whom, and what came of it."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="call_attempts")
    outcome = models.CharField(max_length=16, choices=CallOutcome.choices)
    attempted_at = models.DateTimeField(default=timezone.now)
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    objects = RestrictedManager()
    person_paths = ("case__person_id",)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        indexes = [
            models.Index(fields=["case", "-attempted_at"], name="callattempt_case"),
            models.Index(fields=["attempted_at"], name="callattempt_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=CallOutcome.values), name="callattempt_outcome_valid"
            )
        ]

    def __str__(self) -> str:
        return f"call attempt {self.pk}"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return Q(case__jurisdiction_id__in=ids)
