"""The outreach tests' local providers: fake Twilio, a real SMTP server, a fake EN server."""

from epitrace.outreach.tests.conftest import en_server, smtp, twilio

__all__ = ["en_server", "smtp", "twilio"]
