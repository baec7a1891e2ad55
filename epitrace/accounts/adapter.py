"""Allauth adapter: staff accounts are created by administrators, never by sign-up."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.http import HttpRequest

from epitrace.accounts.security import is_locked_out


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: Any) -> bool:
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # A locked account gets the lockout page (AxesMiddleware swaps it in).
        if is_locked_out(request, credentials):
            raise self.validation_error("too_many_login_attempts")
        # Wrong passwords per account are django-axes' to count: its lock lasts
        # the cool-off and an administrator can lift it. allauth's own
        # per-account counter would outlive that lift, so here allauth only
        # counts per address ("password_failed" in ACCOUNT_RATE_LIMITS); its
        # "login_failed" limit still guards the second-factor codes.
        self._login_failed_rl_usage = ratelimit.consume(
            request, app="allauth.account", action="password_failed"
        )
        if not self._login_failed_rl_usage:
            raise self.validation_error("too_many_login_attempts")
