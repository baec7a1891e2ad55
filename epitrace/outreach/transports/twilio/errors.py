"""Twilio's answers, sorted into retry, look-first and give-up.

Error codes: https://www.twilio.com/docs/api/errors. 21610 (the recipient
replied STOP to our number) must opt the number out here too; 30003 and its
neighbours (handset off, carrier trouble) are worth a later try.
"""

from __future__ import annotations

from requests import exceptions as http_errors
from twilio.base.exceptions import TwilioRestException

from epitrace.outreach.choices import SuppressionReason
from epitrace.outreach.transports import Ambiguous, Permanent, SendError, Transient

UNSUBSCRIBED = 21610
# Not a number that can take an SMS: failing again will not help.
INVALID = frozenset({21211, 21214, 21217, 21401, 21407, 21408, 21612, 21614})
# Delivery trouble that passes: unreachable handset, carrier congestion, queue overflow.
RETRYABLE = frozenset({20429, 30001, 30003, 30005, 30008, 30017})


def from_rest_error(error: TwilioRestException) -> SendError:
    code = int(error.code or 0)
    text = str(error.msg or "")
    if code == UNSUBSCRIBED:
        return Permanent(str(code), text, suppress=SuppressionReason.PROVIDER_UNSUBSCRIBED)
    if code in RETRYABLE or error.status == 429:
        return Transient(str(code or error.status), text)
    if error.status >= 500:
        # Twilio may have created the message before failing: look before resending.
        return Ambiguous(str(code or error.status), text)
    if code in INVALID:
        return Permanent(str(code), text)
    return Permanent(str(code or error.status), text)


def from_delivery_error(code: int) -> type[SendError]:
    """What a failed status callback (undelivered, failed) means for the next attempt."""
    if code in RETRYABLE:
        return Transient
    return Permanent


def from_network_error(error: http_errors.RequestException) -> SendError:
    name = type(error).__name__
    if isinstance(error, http_errors.ConnectTimeout) or _never_connected(error):
        return Transient("network", f"{name}: could not connect")
    # Read timeout, a dropped connection: the request may have been taken.
    return Ambiguous("network", f"{name}: no answer")


def _never_connected(error: http_errors.RequestException) -> bool:
    text = repr(error)
    return isinstance(error, http_errors.ConnectionError) and (
        "NewConnectionError" in text or "Failed to establish" in text
    )
