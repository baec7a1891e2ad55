"""The backend reads the signed-in user of each request as Django's would."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
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


def _no_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _signed_in_request(client, user):
    """A request through the middleware up to the view, its session not read yet."""
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.test import RequestFactory

    from epitrace.accounts.sessions import SessionMiddleware

    client.force_login(user, backend="epitrace.accounts.backends.AuthenticationBackend")
    request = RequestFactory().get("/")
    request.COOKIES.update({k: v.value for k, v in client.cookies.items()})
    SessionMiddleware(_no_view).process_request(request)
    AuthenticationMiddleware(_no_view).process_request(request)
    return request


def test_the_session_its_user_and_their_memberships_are_one_statement(client, personas):
    from epitrace.accounts.memberships import user_memberships
    from epitrace.accounts.models import StaffSession
    from epitrace.accounts.scope import visible_jurisdiction_ids

    tracer = personas.a.tracer
    request = _signed_in_request(client, tracer)
    assert StaffSession.objects.get(session_key=request.session.session_key).user_id == tracer.pk
    expected = sorted((m.pk, m.role) for m in tracer.memberships.all())
    with CaptureQueriesContext(connection) as queries:
        assert request.user == tracer
        assert sorted((m.pk, m.role) for m in user_memberships(request.user)) == expected
        reach = visible_jurisdiction_ids(request.user, "people.view_person")
    assert reach == visible_jurisdiction_ids(tracer, "people.view_person")
    assert len(queries.captured_queries) == 1
    assert "accounts_session" in queries.captured_queries[0]["sql"]


def test_a_user_read_with_one_request_is_not_lent_to_the_next(client, personas):
    """The user read with a session serves that request's authentication only."""
    from django.test import RequestFactory

    from epitrace.accounts.sessions import SessionMiddleware, signed_in_user

    tracer = personas.a.tracer
    _signed_in_request(client, tracer).session.load()  # read, never asked for
    SessionMiddleware(_no_view).process_request(RequestFactory().get("/"))  # the next
    assert signed_in_user(tracer.pk) == (False, None)
    _signed_in_request(client, tracer).session.load()
    assert signed_in_user(personas.b.tracer.pk) == (False, None)  # not whoever asks
    read, user = signed_in_user(tracer.pk)
    assert read
    assert user == tracer
    assert signed_in_user(tracer.pk) == (False, None)  # once


def test_a_deactivated_user_is_nobody_even_when_read_with_the_session(client, personas):
    tracer = personas.a.tracer
    request = _signed_in_request(client, tracer)
    type(tracer).objects.filter(pk=tracer.pk).update(is_active=False)
    assert not request.user.is_authenticated


def test_a_session_before_sign_in_has_no_user(client):
    from epitrace.accounts.models import StaffSession

    client.get("/accounts/login/")
    session = client.session
    session["seen"] = True
    session.save()
    assert StaffSession.objects.get(session_key=session.session_key).user_id is None
