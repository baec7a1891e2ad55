"""Account views of our own (allauth provides the rest)."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epitrace.accounts.models import User


@require_POST
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of the user, on every device, then this one.

    Raising ``session_version`` changes the user's session hash (see
    ``User.get_session_auth_hash``), so Django drops every other session on
    its next request; no session table scan, and it works with any session store.
    """
    user = request.user
    if isinstance(user, User):  # signed in: LoginRequiredMiddleware saw to it
        User.objects.filter(pk=user.pk).update(session_version=F("session_version") + 1)
    get_adapter(request).logout(request)
    messages.success(request, _("You have been signed out on every device."))
    return redirect("account_login")
