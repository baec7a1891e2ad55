from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth import signals as auth_signals
from django.db.backends.signals import connection_created

_MFA_SIGNALS = (
    "authenticator_added",
    "authenticator_removed",
    "authenticator_reset",
    "authenticator_used",
)


class AuditConfig(AppConfig):
    name = "epitrace.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from epitrace.audit import db, signals

        connection_created.connect(db.allow_flush_on_sqlite, dispatch_uid="audit-flush-gate")
        auth_signals.user_logged_in.connect(signals.on_login, dispatch_uid="audit-login")
        auth_signals.user_logged_out.connect(signals.on_logout, dispatch_uid="audit-logout")
        auth_signals.user_login_failed.connect(
            signals.on_login_failed, dispatch_uid="audit-login-failed"
        )
        if apps.is_installed("allauth.mfa"):
            self._connect_mfa(signals)
        if apps.is_installed("axes"):
            from axes.signals import user_locked_out

            user_locked_out.connect(signals.on_locked_out, dispatch_uid="audit-locked-out")

    def _connect_mfa(self, signals: Any) -> None:
        from allauth.mfa import signals as mfa

        for name in _MFA_SIGNALS:
            receiver = signals.on_mfa(name)
            getattr(mfa, name).connect(receiver, dispatch_uid=f"audit-mfa-{name}", weak=False)
