from django.db import models
from django.utils.translation import gettext_lazy as _


class Classification(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    PROBABLE = "probable", _("Probable")
    SUSPECT = "suspect", _("Suspect")
    NOT_A_CASE = "not_a_case", _("Not a case")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class InvestigationStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    ATTEMPTED = "attempted", _("Attempted, not reached")
    COMPLETED = "completed", _("Interview completed")
    UNABLE_TO_REACH = "unable_to_reach", _("Unable to reach")
    REFUSED = "refused", _("Refused")
    LOST = "lost", _("Lost to follow-up")
