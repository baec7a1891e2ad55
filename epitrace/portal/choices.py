from django.db import models
from django.utils.translation import gettext_lazy as _


class LinkPurpose(models.TextChoices):
    """What a portal link opens; a link opens nothing else."""

    SELF_INTERVIEW = "self_interview", _("Self-interview")
    CHECKIN = "checkin", _("Daily check-in")
    CONTACT_NOTICE = "contact_notice", _("Quarantine notice and check-in")
