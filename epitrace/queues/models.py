"""Work items, the claim log and queue handovers.

A work item is one thing a tracer must do about one record: investigate a
case, notify a contact, follow up a monitoree who stopped reporting, or call
someone back at an agreed time. It belongs to the record's jurisdiction (who
may see it, never changed by routing) and sits in one *queue*, a
jurisdiction whose tracers work it: the record's own, or the state's when a
supervisor sends it to the state pool or hands the whole LHD queue over.

Every claim is a row of :class:`ClaimLog`, closed when the claim ends, so
that "was this item ever held by two tracers at once?" is answered from the
log itself rather than trusted to the code that prevents it.
"""

from __future__ import annotations

from collections.abc import Set

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epitrace.core.models import RestrictedManager, TimeStampedModel
from epitrace.queues.choices import ACTIVE_STATES, ClaimEnd, Kind, Outcome, State

_ACTIVE = Q(state__in=list(ACTIVE_STATES))


class WorkItem(TimeStampedModel):
    """One task in a tracer's queue: call this person about this case or exposure."""

    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="work_items"
    )
    exposure = models.ForeignKey(
        "contacts.Exposure",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="work_items",
    )
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # leads the active-items index below
        help_text=_("The record's jurisdiction: who may see the item."),
    )
    queue = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # leads the claim index below
        help_text=_("Whose tracers work the item: the record's LHD, or the state's pool."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_items",
        help_text=_("Only this team's tracers may take it; empty for anyone in the queue."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # leads the assigned-items index below
        help_text=_("A tracer a supervisor gave the item to; it comes first in their Next."),
    )
    language = models.CharField(
        max_length=8, default="en", help_text=_("The person's preferred language (ISO 639).")
    )
    priority = models.IntegerField(default=0, help_text=_("Higher is worked first."))
    available_at = models.DateTimeField(
        default=timezone.now, help_text=_("Not offered before this time (callbacks, retries).")
    )
    due_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the holder index below
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text=_("Who last gave the item back: Next skips it for them for a while."),
    )
    released_at = models.DateTimeField(null=True, blank=True)

    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the done-today index below
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [
            # Next: the best open item of a queue is the first entry of this index.
            models.Index(
                fields=["queue", "-priority", "id"],
                condition=Q(state=State.OPEN),
                name="workitem_claim",
            ),
            models.Index(
                fields=["assignee", "-priority", "id"],
                condition=Q(state=State.OPEN, assignee__isnull=False),
                name="workitem_assigned",
            ),
            models.Index(
                fields=["claim_expires_at"],
                condition=Q(state=State.CLAIMED),
                name="workitem_claim_expiry",
            ),
            models.Index(
                fields=["claimed_by"], condition=Q(state=State.CLAIMED), name="workitem_holder"
            ),
            models.Index(
                fields=["jurisdiction", "due_at"], condition=_ACTIVE, name="workitem_active"
            ),
            # The supervisor's list of waiting and claimed items, most urgent first.
            models.Index(
                fields=["-priority", "id"], condition=_ACTIVE, name="workitem_active_priority"
            ),
            models.Index(
                fields=["completed_by", "completed_at"],
                condition=Q(state=State.DONE),
                name="workitem_done",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="workitem_kind_valid"),
            models.CheckConstraint(
                condition=Q(state__in=State.values), name="workitem_state_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind=Kind.INVESTIGATION, case__isnull=False, exposure__isnull=True))
                | (
                    Q(kind__in=[Kind.NOTIFICATION, Kind.MONITORING])
                    & Q(exposure__isnull=False, case__isnull=True)
                )
                | (
                    Q(kind=Kind.CALLBACK)
                    & (
                        Q(case__isnull=False, exposure__isnull=True)
                        | Q(case__isnull=True, exposure__isnull=False)
                    )
                ),
                name="workitem_record_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(state=State.CLAIMED)
                | Q(claimed_by__isnull=False, claimed_at__isnull=False)
                & Q(claim_expires_at__isnull=False),
                name="workitem_claim_has_holder",
            ),
            models.CheckConstraint(
                condition=~Q(state=State.DONE) | Q(completed_at__isnull=False) & ~Q(outcome=""),
                name="workitem_done_has_outcome",
            ),
            # The import hook creates investigations with ON CONFLICT DO NOTHING:
            # this index makes two importers racing for one case create one item.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(kind=Kind.INVESTIGATION) & ~Q(state=State.CANCELLED),
                name="workitem_one_investigation_per_case",
            ),
            models.UniqueConstraint(
                fields=["exposure", "kind"],
                condition=Q(exposure__isnull=False) & _ACTIVE,
                name="workitem_one_active_per_exposure",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(kind=Kind.CALLBACK, case__isnull=False) & _ACTIVE,
                name="workitem_one_callback_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def person_id(self) -> int | None:
        """Who is called: the case's person or the contact (audit events name them).

        Read through the record rather than copied here, so that a merge of
        persons, which re-points cases and exposures, leaves nothing stale.
        """
        if self.case is not None:
            return self.case.person_id
        if self.exposure is not None:
            return self.exposure.contact_id
        return None

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return Q(jurisdiction_id__in=ids)

    @property
    def is_overdue(self) -> bool:
        return (
            self.state in ACTIVE_STATES and self.due_at is not None and self.due_at < timezone.now()
        )


class ClaimLog(models.Model):
    """One claim of one item by one tracer, from claim to its end.

    Append-and-close: a row is written when the claim starts and closed
    (``released_at`` and ``ended``) once, when it ends. At most one row per
    item is open at any time (a unique index): a second simultaneous claim
    fails in the database even if the claim code had a bug.
    """

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    ended = models.CharField(max_length=12, choices=ClaimEnd.choices, blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        indexes = [models.Index(fields=["claimed_at"], name="claimlog_claimed_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(released_at__isnull=True),
                name="claimlog_one_open_claim_per_item",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True, ended="")
                | Q(released_at__isnull=False) & ~Q(ended=""),
                name="claimlog_end_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk}"


class QueueHandover(models.Model):
    """An LHD's queue worked by the state's tracers for a while.

    The items stay the LHD's records (their jurisdiction does not change);
    only their queue does. While the handover is active, new items of the
    LHD go to the state's queue too.
    """

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="+"
    )
    to_jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction"],
                condition=Q(ended_at__isnull=True),
                name="handover_one_active_per_jurisdiction",
            ),
            models.CheckConstraint(
                condition=~Q(jurisdiction=models.F("to_jurisdiction")),
                name="handover_to_another_jurisdiction",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_by__isnull=False),
                name="handover_end_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"handover {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
