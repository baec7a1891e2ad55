from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a tracer is asked to do."""

    INVESTIGATION = "investigation", _("Case investigation")
    NOTIFICATION = "notification", _("Contact notification")
    MONITORING = "monitoring", _("Monitoring follow-up")
    CALLBACK = "callback", _("Callback")


# Kinds about one exposure (a contact), and the kinds about a case.
EXPOSURE_KINDS = (Kind.NOTIFICATION, Kind.MONITORING)


class State(models.TextChoices):
    OPEN = "open", _("Waiting")
    CLAIMED = "claimed", _("Being worked")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATES = (State.OPEN, State.CLAIMED)


class Outcome(models.TextChoices):
    """How the person was (or was not) reached, as the tracer records it."""

    COMPLETED = "completed", _("Reached, done")
    NOT_REACHED = "not_reached", _("Attempted, not reached")
    REFUSED = "refused", _("Refused")
    UNREACHABLE = "unreachable", _("Wrong number or no way to reach")
    NOT_NEEDED = "not_needed", _("No longer needed")


class ClaimEnd(models.TextChoices):
    """How a claim ended: the last column of the claim log."""

    COMPLETED = "completed", _("Completed")
    RETRY = "retry", _("Attempted; back in the queue later")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired (idle)")
    REASSIGNED = "reassigned", _("Reassigned by a supervisor")
    CANCELLED = "cancelled", _("Item cancelled")
