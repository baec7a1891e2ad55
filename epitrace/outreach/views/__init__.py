from epitrace.outreach.views.staff import mark_handled, message_log, needs_staff
from epitrace.outreach.views.webhooks import twilio_inbound, twilio_status

__all__ = ["mark_handled", "message_log", "needs_staff", "twilio_inbound", "twilio_status"]
