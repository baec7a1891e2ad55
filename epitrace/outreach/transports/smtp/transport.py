"""E-mail through Django's mail backend (SMTP in production), one open session per thread.

SMTP cannot be asked afterwards whether it took a message, so a row left
"sending" by a crash is not sent again: it fails as "outcome unknown" for
staff to see (docs/outreach.md explains the choice). Its Message-ID is
fixed by the key, so even a copy sent by hand is recognisably the same
message to mail systems that collapse duplicates.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from epitrace.outreach import conf
from epitrace.outreach.choices import SuppressionReason
from epitrace.outreach.keys import message_id
from epitrace.outreach.transports import (
    Accepted,
    Ambiguous,
    Outgoing,
    Permanent,
    SendError,
    Transient,
    Unknowable,
)


def sender_address() -> str:
    """DEFAULT_FROM_EMAIL's address under the health department's name."""
    _name, address = parseaddr(str(settings.DEFAULT_FROM_EMAIL))
    return formataddr((conf.sender_name(), address))


def domain() -> str:
    _name, address = parseaddr(str(settings.DEFAULT_FROM_EMAIL))
    return address.rpartition("@")[2] or "localhost"


class SmtpTransport:
    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)
        self.opened = False

    def send(self, message: Outgoing) -> Accepted:
        mid = message_id(message.key, domain())
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=sender_address(),
            to=[message.address],
            headers={"Message-ID": mid, "Content-Language": message.language},
            connection=self.connection,
        )
        self._open()
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            raise _refused(error) from error
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            raise _answer(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPException, OSError) as error:
            # The session broke mid-message: the server may have taken it.
            self._reset()
            raise Ambiguous("smtp", type(error).__name__) from error
        return Accepted(mid.strip("<>"), "sent")

    def _open(self) -> None:
        if self.opened:
            return
        try:
            self.connection.open()
        except (smtplib.SMTPException, OSError) as error:
            self._reset()
            raise Transient("smtp-connect", type(error).__name__) from error
        self.opened = True

    def _reset(self) -> None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.close()
        self.opened = False

    def lookup(self, message: Outgoing) -> Accepted | None:
        raise Unknowable("an SMTP server cannot be asked what it accepted")

    def close(self) -> None:
        self._reset()


def _refused(error: smtplib.SMTPRecipientsRefused) -> SendError:
    code, text = next(iter(error.recipients.values()), (550, b"refused"))
    return _answer(code, text)


def _answer(code: int, text: bytes | str) -> SendError:
    words = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if 400 <= code < 500:
        return Transient(str(code), words)
    # 5xx for the recipient: the mailbox does not exist or refuses us; a hard bounce.
    return Permanent(str(code), words, suppress=SuppressionReason.BOUNCE)
