"""The audit trail: who read or changed which record, when, from where and why.

Design (docs/audit.md):

- ``AuditEvent`` rows are immutable (database triggers refuse UPDATE and
  DELETE) and form hash chains: each row carries the keyed hash (HMAC-SHA256)
  of its header fields, its payload digest and the previous row's hash.
- Chains are partitioned per UTC day and per writer slot, so concurrent
  writers rarely wait on the same ``AuditChainHead`` row, the per-chain lock.
- Personal values (field-level diffs, search terms) live in ``AuditPayload``,
  a separate table that only a purge may delete from; the event keeps an
  HMAC digest of the payload, so the chain stays verifiable after the erasure
  and the erased values cannot be guessed back from it.
- ``AuditCheckpoint`` rows are signed chain heads, also appended to a file
  outside the database so that rolling back heads or cutting the tail of a
  chain is detected.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epitrace.audit.choices import Action


class AuditLedger(models.Model):
    """The identity of this installation's audit trail (one row).

    Created with the first chain. Its id starts every chain (the genesis hash)
    and tags every checkpoint in the file, so checkpoints of a database that
    was replaced or recreated are told apart from this one's. The MAC proves
    the row was written by someone holding the audit key.
    """

    singleton = models.BooleanField(default=True, editable=False)
    ledger = models.CharField(max_length=36, unique=True)
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    mac = models.CharField(max_length=64)

    class Meta:
        db_table = "audit_ledger"
        constraints = [
            models.UniqueConstraint(fields=["singleton"], name="auditledger_single_row"),
            models.CheckConstraint(condition=Q(singleton=True), name="auditledger_singleton"),
        ]

    def __str__(self) -> str:
        return self.ledger


class AuditEvent(models.Model):
    """One access to or change of a record, a login, an export, a purge...

    Immutable once written. ``actor_label`` keeps the username even if the
    user is later deleted: the foreign key has no database constraint and is
    never cascaded, because an audit row must not change. ``reason`` is a
    short justification and must not hold personal values (those go to the
    erasable payload).
    """

    occurred_at = models.DateTimeField(db_index=True)
    chain = models.CharField(max_length=32)
    seq = models.PositiveBigIntegerField()
    key_id = models.CharField(max_length=16)

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=100, blank=True, help_text=_("app_label.model"))
    object_id = models.CharField(max_length=64, blank=True)
    person_id = models.BigIntegerField(null=True, blank=True)
    jurisdiction_id = models.BigIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    reason = models.TextField(blank=True)

    payload_digest = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "audit_event"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["person_id", "-occurred_at"], name="auditevent_person_time"),
            models.Index(fields=["actor", "-occurred_at"], name="auditevent_actor_time"),
            models.Index(fields=["object_type", "object_id"], name="auditevent_object"),
            models.Index(fields=["action", "occurred_at"], name="auditevent_action_time"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="auditevent_unique_chain_seq"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="auditevent_seq_positive"),
            models.CheckConstraint(
                condition=Q(action__in=Action.values), name="auditevent_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action} by {self.actor_label}"


class AuditPayload(models.Model):
    """The personal values of an event: field-level before/after, search terms.

    Kept apart from the immutable event so that ``purge`` can erase them; the
    stored text is the canonical JSON the event's digest was computed over.
    """

    event = models.OneToOneField(
        AuditEvent, on_delete=models.PROTECT, primary_key=True, related_name="payload"
    )
    body = models.TextField()

    class Meta:
        db_table = "audit_payload"

    def __str__(self) -> str:
        return f"payload of event {self.event_id}"

    @property
    def data(self) -> Any:
        return json.loads(self.body)


class AuditChainHead(models.Model):
    """The end of one chain: its last sequence number and hash.

    Writers lock this row (``select_for_update``) to append, so it is the
    chain's lock; chains are per UTC day and writer slot to keep writers apart.
    """

    chain = models.CharField(max_length=32)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "audit_chain_head"
        ordering = ["chain"]
        constraints = [
            models.UniqueConstraint(fields=["chain"], name="auditchainhead_unique_chain"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}@{self.last_seq}"


class AuditCheckpoint(models.Model):
    """A signed statement "chain C had reached seq N with hash H at time T".

    Also appended to the checkpoint file outside the database; verify checks
    that every checkpointed row is still there with the same hash.
    """

    ledger = models.CharField(max_length=36)
    chain = models.CharField(max_length=32)
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signature = models.TextField()

    class Meta:
        db_table = "audit_checkpoint"
        ordering = ["chain", "seq", "signed_at"]
        indexes = [models.Index(fields=["chain", "seq"], name="auditcheckpoint_chain_seq")]

    def __str__(self) -> str:
        return f"checkpoint {self.chain}@{self.seq}"
