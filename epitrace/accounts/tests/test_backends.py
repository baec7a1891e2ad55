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


def test_the_user_comes_with_their_memberships_in_the_same_query(personas):
    from epitrace.accounts.memberships import user_memberships
    from epitrace.accounts.scope import visible_jurisdiction_ids

    backend = AuthenticationBackend()
    for user in (personas.a.tracer, personas.state_epi):
        expected = [(m.pk, m.jurisdiction.path, m.role) for m in user_memberships(user)]
        assert expected
        with CaptureQueriesContext(connection) as queries:
            found = backend.get_user(user.pk)
            memberships = [(m.pk, m.jurisdiction.path, m.role) for m in user_memberships(found)]
            reach = visible_jurisdiction_ids(found, "people.view_person")
        assert memberships == expected
        assert reach == visible_jurisdiction_ids(user, "people.view_person")
        assert len(queries.captured_queries) == 1


def test_a_user_without_memberships_is_read_with_none():
    from epitrace.accounts.memberships import user_memberships

    user = f.UserFactory.create(username="no.roles")
    found = AuthenticationBackend().get_user(user.pk)
    assert found == user
    with CaptureQueriesContext(connection) as queries:
        assert user_memberships(found) == []
    assert queries.captured_queries == []


def test_a_signed_in_request_reads_the_memberships_with_the_user(client, personas):
    from epitrace.accounts.memberships import forget_memberships, user_memberships

    tracer = personas.a.tracer
    client.force_login(tracer, backend="epitrace.accounts.backends.AuthenticationBackend")
    response = client.get("/")
    lazy = response.wsgi_request.user
    expected = sorted(m.pk for m in tracer.memberships.all())
    with CaptureQueriesContext(connection) as queries:
        assert sorted(m.pk for m in user_memberships(lazy)) == expected
    assert queries.captured_queries == []
    # Forgotten (a membership changed in the request): read again.
    forget_memberships(lazy)
    with CaptureQueriesContext(connection) as queries:
        user_memberships(lazy)
    assert len(queries.captured_queries) == 1
