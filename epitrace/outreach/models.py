"""The outbox, opt-outs, replies and check-in answers.

Every message leaving Epitrace (SMS, e-mail, a request for an exposure-
notification code) is first an :class:`OutboxMessage` row, written in the same
transaction as the change that caused it, under an idempotency key unique in
the table: enqueueing the same key twice gives back the first row, so a retried
job never texts anyone twice. The dispatcher (dispatcher/) sends the rows and
records what the provider said.

Opt-outs (:class:`Suppression`) are kept per address, not per person: several
people often share one phone, and one STOP stops it for all of them.
"""

from __future__ import annotations

from collections.abc import Set

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epitrace.core.models import RestrictedManager, TimeStampedModel
from epitrace.outreach.choices import (
    Channel,
    InboundKind,
    InboundState,
    Purpose,
    State,
    SuppressionReason,
)


def _person_scope(ids: Set[int], path: str = "person") -> Q:
    from epitrace.people.models import Person

    return Q(**{f"{path}__in": Person.objects.filter(Person.scope_q(ids)).values("pk")})


class DispatcherWorker(models.Model):
    """One running dispatcher process, alive while it renews its heartbeat.

    Rows a worker marked "sending" are its own until its heartbeat is older
    than the lease; then another worker reconciles them with the provider.
    """

    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["heartbeat_at"], name="dispatcher_heartbeat")]

    def __str__(self) -> str:
        return f"dispatcher {self.pk} ({self.hostname}:{self.pid})"


class OutboxMessage(models.Model):
    """One message to one address, from "queued" to what the provider last said.

    Rows are written twice per send (claimed, then answered) at up to
    thousands a second, so the table carries only the indexes its queries
    need: no index on the timestamps (lists order by id, which follows them).
    """

    # Unique through a constraint, not unique=True: no LIKE twin of the index.
    key = models.CharField(
        max_length=200,
        help_text=_("Idempotency key: channel, purpose, person or address, local day."),
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    template = models.CharField(max_length=64, blank=True)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_messages",
        db_index=False,  # leads the person index below
    )
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text=_("Who sees a message without a person (a reply to an unknown number)."),
    )
    address = models.CharField(max_length=254, help_text=_("E.164 phone or e-mail address."))
    language = models.CharField(max_length=8, default="en", help_text=_("Language sent."))
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)
    send_window = models.CharField(
        max_length=10,
        default="any",
        db_default="any",
        help_text=_("The part of the day the person prefers (people.ContactWindow)."),
    )
    key_day = models.DateField(help_text=_("The person's local day the key is for."))
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text=_("Request fields (EN)."))

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    unsure = models.BooleanField(
        default=False,
        help_text=_("The last attempt may have reached the provider: look before sending."),
    )
    worker = models.ForeignKey(
        DispatcherWorker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the partial index of rows "sending" below
    )
    sending_since = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    provider_status = models.CharField(max_length=32, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_text = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager()
    person_paths = ("person_id",)
    scope_by_person = True  # a row of a person is visible when the person is (of_person)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The claim: the first due rows of this index, skipping locked ones.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state=State.QUEUED),
                name="outbox_due",
            ),
            models.Index(
                fields=["worker"], condition=Q(state=State.SENDING), name="outbox_sending"
            ),
            models.Index(fields=["person", "-id"], name="outbox_person"),
            models.Index(fields=["address", "-id"], name="outbox_address"),
            models.Index(
                fields=["jurisdiction", "-id"],
                condition=Q(person__isnull=True),
                name="outbox_without_person",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="outbox_unique_key"),
            models.CheckConstraint(condition=Q(state__in=State.values), name="outbox_state_valid"),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="outbox_channel_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=State.SENDING) | Q(sending_since__isnull=False),
                name="outbox_sending_has_time",
            ),
            # One provider message answers one row: two rows stuck on one shared
            # phone can never both claim the single message a lookup found.
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=~Q(provider_id=""),
                name="outbox_provider_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.pk}"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return _person_scope(ids) | Q(person__isnull=True, jurisdiction_id__in=ids)


class Suppression(TimeStampedModel):
    """An address that must get nothing more: a STOP, a provider's "unsubscribed", a bounce.

    One row per opt-out; lifting it (START) keeps the row with ``lifted_at``,
    so the history of consent stays readable.
    """

    address = models.CharField(max_length=254)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    detail = models.CharField(max_length=200, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["address", "-created_at"], name="suppression_address")]
        constraints = [
            models.UniqueConstraint(
                fields=["address"],
                condition=Q(lifted_at__isnull=True),
                name="suppression_one_active_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"opt-out {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class InboundMessage(TimeStampedModel):
    """A text received on our number: a keyword, a check-in answer, or something for staff."""

    provider_id = models.CharField(max_length=64, unique=True, help_text=_("Twilio MessageSid."))
    from_address = models.CharField(max_length=254)
    to_address = models.CharField(max_length=254, blank=True)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=8, choices=InboundKind.choices)
    state = models.CharField(max_length=12, choices=InboundState.choices)
    note = models.CharField(max_length=300, blank=True)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_messages",
        help_text=_("The person last messaged on that number, when there is one."),
    )
    outbox = models.ForeignKey(
        OutboxMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        help_text=_("The message this answers."),
    )
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedManager()
    person_paths = ("person_id",)
    scope_by_person = True  # a row of a person is visible when the person is (of_person)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["jurisdiction", "-created_at"],
                condition=Q(state=InboundState.NEEDS_STAFF),
                name="inbound_needs_staff",
            ),
            models.Index(fields=["from_address", "-created_at"], name="inbound_from"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=InboundState.DONE)
                | Q(handled_by__isnull=False, handled_at__isnull=False),
                name="inbound_done_has_handler",
            )
        ]

    def __str__(self) -> str:
        return f"reply {self.pk}"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return _person_scope(ids) | Q(person__isnull=True, jurisdiction_id__in=ids)


class CheckInAnswer(models.Model):
    """A monitoree's answer to the daily symptom question, by whatever channel it came.

    Written only by ``epitrace.monitoring.services.do_record_checkin``: an SMS
    reply YES/NO, the portal's form and a call by staff all go through it.
    ``reporter`` is empty when the person answered for themselves.
    """

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="checkin_answers"
    )
    day = models.DateField(help_text=_("The person's local day the answer is for."))
    symptomatic = models.BooleanField()
    symptoms = models.JSONField(
        default=list, blank=True, help_text=_("Codes of the symptoms reported, if any.")
    )
    channel = models.CharField(max_length=8)
    reporter = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who answered for the person: a guardian or the head of household."),
    )
    received_at = models.DateTimeField(default=timezone.now)
    inbound = models.ForeignKey(
        InboundMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answers",
    )
    outbox = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="answers"
    )

    objects = RestrictedManager()
    person_paths = ("person_id",)
    scope_by_person = True  # a row of a person is visible when the person is (of_person)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["person", "day"], name="checkin_person_day")]

    def __str__(self) -> str:
        return f"check-in {self.pk}"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return _person_scope(ids)
