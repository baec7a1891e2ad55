"""Lab results and the raw messages they came from.

The raw message is stored before anything else (for reprocessing and
audit); each result row keeps a reference to it. Negative results are kept:
they matter for release and test-based rules, though they open no case.
"""

from __future__ import annotations

from collections.abc import Set

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epitrace.core.models import RestrictedManager
from epitrace.diseases.models import Interpretation, TestClass
from epitrace.labs.choices import MessageFormat, MessageState, ResultStatus


class RawMessage(models.Model):
    """A lab message exactly as received (HL7, FHIR or a CSV row)."""

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    format = models.CharField(max_length=8, choices=MessageFormat.choices)
    source = models.CharField(max_length=32, help_text=_("file, mllp, api, drop folder..."))
    source_name = models.CharField(max_length=500, blank=True)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    control_id = models.CharField(max_length=200, blank=True)
    sending_facility = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=16, choices=MessageState.choices, default=MessageState.RECEIVED
    )
    error = models.TextField(blank=True)
    position = models.PositiveIntegerField(
        default=1, help_text=_("1-based position of the message in its file or stream.")
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Known once the message is processed; unprocessed ones are the state's."),
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-received_at", "-id"]
        # Declared here, not with db_index: on PostgreSQL a field's own index
        # on a CharField comes with a second, LIKE-pattern one, and a digest is
        # only ever looked up whole (every extra index slows the importer).
        indexes = [
            models.Index(fields=["state", "-received_at"], name="rawmessage_state"),
            models.Index(fields=["sha256"], name="rawmessage_sha256"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk}"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        from epitrace.jurisdictions.models import Jurisdiction

        # A message not yet tied to a jurisdiction is visible only at the root.
        root_ids = set(
            Jurisdiction.objects.filter(parent__isnull=True).values_list("id", flat=True)
        )
        unassigned = Q(jurisdiction__isnull=True) if root_ids & set(ids) else Q(pk__in=[])
        return Q(jurisdiction_id__in=ids) | unassigned


class LabResult(models.Model):
    """One test result for one person, as reported and as normalised."""

    # Indexed by labresult_person_test, which begins with it.
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="lab_results", db_index=False
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="lab_results"
    )
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="+"
    )
    raw_message = models.ForeignKey(
        RawMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="results"
    )
    control_id = models.CharField(max_length=200, blank=True, help_text=_("MSH-10"))
    sending_facility = models.CharField(max_length=200, blank=True)
    accession = models.CharField(
        max_length=200, blank=True, help_text=_("Filler order or specimen id: links corrections.")
    )
    observation_id = models.CharField(max_length=200, blank=True)

    test_code = models.CharField(max_length=64, help_text=_("As sent (OBX-3.1)."))
    test_code_system = models.CharField(max_length=32, blank=True)
    test_name = models.CharField(max_length=255, blank=True)
    test_loinc = models.CharField(max_length=16, blank=True, help_text=_("Normalised LOINC."))
    test_class = models.CharField(max_length=16, choices=TestClass.choices, default=TestClass.OTHER)
    disease = models.ForeignKey(
        "diseases.Disease", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    result_value = models.CharField(max_length=500, blank=True, help_text=_("As sent (OBX-5)."))
    result_code = models.CharField(max_length=32, blank=True)
    result_code_system = models.CharField(max_length=32, blank=True)
    interpretation = models.CharField(
        max_length=16, choices=Interpretation.choices, default=Interpretation.OTHER
    )
    status = models.CharField(max_length=16, choices=ResultStatus.choices)

    specimen_collected_at = models.DateTimeField(null=True, blank=True)
    specimen_utc_offset = models.SmallIntegerField(
        null=True, blank=True, help_text=_("Minutes east of UTC the collection time was given in.")
    )
    specimen_type = models.CharField(max_length=120, blank=True)
    resulted_at = models.DateTimeField(null=True, blank=True)
    performing_lab_id = models.CharField(max_length=64, blank=True, help_text=_("CLIA number."))
    performing_lab_name = models.CharField(max_length=200, blank=True)
    ordering_facility = models.CharField(max_length=200, blank=True)
    ordering_provider = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = RestrictedManager()
    person_paths = ("person_id",)

    class Meta:
        ordering = ["-specimen_collected_at", "-id"]
        indexes = [
            models.Index(fields=["person", "test_loinc"], name="labresult_person_test"),
            models.Index(fields=["control_id"], name="labresult_control_id"),
        ]

    def __str__(self) -> str:
        return f"{self.test_name or self.test_code}: {self.get_interpretation_display()}"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return Q(jurisdiction_id__in=ids)


class IngestKey(models.Model):
    """An idempotency key of an accepted lab message: each is accepted once.

    Two keys per message: the sender's (sending facility + control id) and the
    normalised content's digest, so a retry and a re-sent copy under a new
    control id are both duplicates. Kept in its own unpartitioned table: a
    partitioned results table could not hold a global unique key.
    """

    key = models.CharField(max_length=300)
    raw_message = models.ForeignKey(RawMessage, on_delete=models.CASCADE, related_name="keys")

    class Meta:
        # A constraint rather than ``unique=True``: the field's own unique index
        # would come with an unused LIKE-pattern index, written for every key.
        constraints = [models.UniqueConstraint(fields=["key"], name="ingestkey_unique_key")]

    def __str__(self) -> str:
        return self.key


class FeedName(models.TextChoices):
    """The channels lab reports arrive through (the pipeline's ``source``)."""

    DROP_FOLDER = "drop folder", _("Drop folder")
    MLLP = "mllp", _("MLLP listener")
    API = "api", _("REST API")
    FILE = "file", _("File import")


class LabFeedQuerySet(models.QuerySet["LabFeed"]):
    def alerting(self) -> LabFeedQuerySet:
        """Feeds with an open outage alert and no delivery since it was raised."""
        return self.filter(alert_raised_at__isnull=False).filter(
            Q(last_received_at__isnull=True) | Q(last_received_at__lt=models.F("alert_raised_at"))
        )


class LabFeed(models.Model):
    """One channel of electronic lab reporting and whether it is overdue.

    A lab feed that stops silently is a surveillance gap: positive results
    stop opening cases and nobody notices until a lab calls. Each arrival
    moves ``last_received_at``; the feed check raises an alert (an e-mail to
    the state's administrators, a banner in the staff UI) when a watched feed
    has been silent longer than its interval, and clears it once the feed
    delivers again. No personal data: a feed is a channel, not a message.
    """

    name = models.CharField(max_length=32, choices=FeedName.choices)
    watched_since = models.DateTimeField(
        # Filled by the database when a row is created without it.
        db_default=models.functions.Now(),  # type: ignore[attr-defined]  # missing from the stubs
        help_text=_("When the feed was first seen or expected; the outage clock starts here."),
    )
    last_received_at = models.DateTimeField(null=True, blank=True)
    alert_raised_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Start of the current outage alert; empty when none.")
    )
    alert_emailed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the current outage was e-mailed (once per outage)."),
    )

    objects = LabFeedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="labfeed_unique_name"),
            models.CheckConstraint(
                condition=Q(alert_emailed_at__isnull=True) | Q(alert_raised_at__isnull=False),
                name="labfeed_email_needs_alert",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_name_display())
