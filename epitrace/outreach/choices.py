from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    EN = "en", _("Exposure-notification code")


class Purpose(models.TextChoices):
    SELF_INTERVIEW = "self_interview", _("Self-interview link")
    CONTACT_NOTIFICATION = "contact_notification", _("Contact notification")
    DAILY_CHECKIN = "daily_checkin", _("Daily check-in")
    CLOSING = "closing", _("Closing message")
    EN_VERIFICATION = "en_verification", _("Exposure-notification verification")
    HELP_REPLY = "help_reply", _("Reply to HELP")
    ENROL_CODE = "enrol_code", _("Portal enrolment code")


class State(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


FINAL_STATES = frozenset({State.SENT, State.DELIVERED, State.FAILED, State.CANCELLED})


class SuppressionReason(models.TextChoices):
    STOP = "stop", _("Replied STOP")
    PROVIDER_UNSUBSCRIBED = "provider_21610", _("Provider: recipient unsubscribed (21610)")
    BOUNCE = "bounce", _("Email bounced")
    INVALID = "invalid", _("Provider: not a valid number")


class InboundKind(models.TextChoices):
    STOP = "stop", _("Stop")
    START = "start", _("Start")
    HELP = "help", _("Help")
    ANSWER_YES = "yes", _("Check-in: feels sick")
    ANSWER_NO = "no", _("Check-in: feels well")
    OTHER = "other", _("Other text")


class InboundState(models.TextChoices):
    HANDLED = "handled", _("Handled automatically")
    NEEDS_STAFF = "needs_staff", _("Needs staff")
    DONE = "done", _("Handled by staff")


# Reasons a message was not sent, stored as its error code.
class Skip(models.TextChoices):
    SUPPRESSED = "suppressed", _("The address opted out")
    DECEASED = "deceased", _("The person is deceased")
    STOPPED = "stopped", _("Cancelled by a STOP reply")
    OUTCOME_UNKNOWN = "outcome_unknown", _("Interrupted while sending; not resent")
    MAX_ATTEMPTS = "max_attempts", _("Gave up after the last retry")
