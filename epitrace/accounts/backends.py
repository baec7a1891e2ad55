"""allauth's authentication backend, reading the signed-in user with a statement.

Every request of a signed-in user reads their row (``get_user``); through the
ORM that lookup cost more to build and compile than to run. The statement is
compiled once per connection (:mod:`epitrace.core.statements`); everything
else, the password check included, is allauth's.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend

from epitrace.accounts.models import User
from epitrace.core.statements import Statement

_USER = Statement(lambda pk: User.objects.filter(pk=pk))


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id: Any) -> User | None:
        found = _USER.fetch(int(user_id))
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
