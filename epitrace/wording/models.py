"""Message wording a jurisdiction chose instead of the shipped one.

One row per jurisdiction, channel, template and language. Rendering
(``epitrace.outreach.rendering``) uses the nearest active row up the
jurisdiction tree in the person's language, else the shipped catalogue.
Reverting to the default deactivates the row: its text stays for the next
edit, and the audit trail keeps every version.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epitrace.outreach.choices import Channel

CHANNELS = (Channel.SMS, Channel.EMAIL)


class MessageWording(models.Model):
    """One jurisdiction's wording of one message template in one language."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(
        max_length=8, choices=[(c.value, c.label) for c in CHANNELS], default=Channel.SMS
    )
    template = models.CharField(max_length=64)
    language = models.CharField(max_length=8, help_text=_("ISO 639 code."))
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["jurisdiction", "channel", "template", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "channel", "template", "language"],
                name="messagewording_unique",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in CHANNELS]),
                name="messagewording_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.template} ({self.language})"
