from django.db import models
from django.utils.translation import gettext_lazy as _


class ResultStatus(models.TextChoices):
    """Result status (HL7 OBX-11 P/F/C/X; FHIR Observation.status)."""

    PRELIMINARY = "preliminary", _("Preliminary")
    FINAL = "final", _("Final")
    CORRECTED = "corrected", _("Corrected")
    CANCELLED = "cancelled", _("Cancelled")


class MessageFormat(models.TextChoices):
    HL7 = "hl7", _("HL7 v2")
    FHIR = "fhir", _("FHIR R4")
    CSV = "csv", _("CSV")


class MessageState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
