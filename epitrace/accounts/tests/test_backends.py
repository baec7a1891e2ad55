"""The backend reads the signed-in user of each request as Django's would."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from epitrace.accounts.backends import AuthenticationBackend
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db


def test_an_active_user_is_found_in_one_query():
    user = f.UserFactory.create(username="reads.once")
    backend = AuthenticationBackend()
    assert backend.get_user(user.pk) == user
    with CaptureQueriesContext(connection) as queries:
        found = backend.get_user(str(user.pk))
    assert found == user
    assert found.username == "reads.once"
    assert len(queries.captured_queries) == 1


def test_an_inactive_or_missing_user_is_nobody():
    user = f.UserFactory.create(username="gone", is_active=False)
    backend = AuthenticationBackend()
    assert backend.get_user(user.pk) is None
    assert backend.get_user(user.pk + 1000) is None


def test_a_signed_in_session_reaches_its_pages(client):
    user = f.UserFactory.create(username="signed.in")
    client.force_login(user, backend="epitrace.accounts.backends.AuthenticationBackend")
    response = client.get("/")
    assert response.wsgi_request.user == user
