"""allauth's authentication backend, reading the signed-in user with a statement.

Every request of a signed-in user reads their row (``get_user``); through the
ORM that lookup cost more to build and compile than to run. It is read with
their memberships, which every page asks for next (the scope checks, the
menus), in one statement written out once
(:func:`epitrace.accounts.memberships.user_with_memberships`), and read
with the session itself when the request's session load already did
(:func:`epitrace.accounts.sessions.signed_in_user`); everything else, the
password check included, is allauth's.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend

from epitrace.accounts.memberships import user_with_memberships
from epitrace.accounts.models import User
from epitrace.accounts.sessions import signed_in_user


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id: Any) -> User | None:
        read, user = signed_in_user(int(user_id))
        if not read:
            user = user_with_memberships(int(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None
