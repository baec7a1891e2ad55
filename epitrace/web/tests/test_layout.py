"""The staff layout and its navigation context."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from epitrace.testing.personas import Personas
from epitrace.web.context import navigation
from epitrace.web.tests import make


@pytest.mark.django_db
def test_navigation_runs_no_query_for_anonymous(
    rf: RequestFactory, django_assert_num_queries
) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert navigation(request) == {}


def test_navigation_reads_memberships_in_one_query(
    personas: Personas, rf: RequestFactory, django_assert_num_queries
) -> None:
    request = rf.get("/")
    request.user = personas.a.tracer
    with django_assert_num_queries(1):
        nav = navigation(request)["nav"]
        assert [j.name for j in nav.jurisdictions] == ["LHD A Health Department"]
        assert [m.get_role_display() for m in nav.memberships] == [
            "Contact tracer / case investigator"
        ]
        assert nav.shows_cases
        assert nav.shows_people


def test_top_bar_shows_jurisdiction_roles_and_logout_form(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.a.tracer)
    body = client.get(reverse("home")).content.decode()
    assert "LHD A Health Department" in body
    assert "Contact tracer / case investigator" in body
    assert f'<form method="post" action="{reverse("account_logout")}">' in body
    assert "X-CSRFToken" in body
    assert "django_htmx/htmx-2.min.js" in body
    # Pages hold personal data: htmx must not keep snapshots in browser storage.
    assert '"historyCacheSize": 0' in body
    assert 'href="#main"' in body
    assert f'href="{reverse("case_list")}"' in body
    assert f'href="{reverse("person_search")}"' in body


@pytest.mark.django_db
def test_referral_roles_get_no_case_or_people_links(client: Client) -> None:
    membership = make.membership(role="cbo_coordinator")
    client.force_login(membership.user)
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("case_list")}"' not in body
    assert f'href="{reverse("person_search")}"' not in body
    assert "Community referrals" in body
