"""Choices of the possible-duplicates queue."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DuplicateSource(models.TextChoices):
    """Where the matcher met the pair (it proposes from each door records come in by)."""

    IMPORT = "import", _("Lab or file import")
    CONTACT_ENTRY = "contact_entry", _("Contact entry")
    PORTAL = "portal", _("Self-report portal")
    BATCH_SCAN = "batch_scan", _("Batch scan")


class DuplicateStatus(models.TextChoices):
    """Where a pair stands: waiting for a person to decide, or decided."""

    OPEN = "open", _("Open")
    MERGED = "merged", _("Merged")
    NOT_SAME = "not_same", _("Not the same person")
