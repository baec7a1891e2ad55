"""The home page: one section per role, scoped to the user's jurisdictions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from epitrace.accounts.roles import Role
from epitrace.testing.personas import Personas
from epitrace.web import dashboard
from epitrace.web.tests import make


@pytest.mark.parametrize("role", Role.values)
def test_home_renders_for_every_role(personas: Personas, client: Client, role: str) -> None:
    membership = make.membership(jurisdiction=personas.a.jurisdiction, role=role)
    client.force_login(membership.user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "You have no assignment yet" not in response.content.decode()


@pytest.mark.django_db
def test_user_without_membership_is_told_whom_to_ask(client: Client) -> None:
    from epitrace.jurisdictions.models import Jurisdiction

    admin = make.user(username="ursula.admin", display_name="Ursula Admin")
    make.membership(user=admin, jurisdiction=Jurisdiction.objects.root(), role="user_admin")
    client.force_login(make.user(username="new.hire"))
    body = client.get(reverse("home")).content.decode()
    assert "You have no assignment yet" in body
    assert "Ursula Admin" in body
    assert "mailto:ursula.admin@health.example.org" in body
    assert "new.hire" in body


def test_tracer_sees_open_cases_and_new_cases_of_own_jurisdiction(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.b.tracer)
    body = client.get(reverse("home")).content.decode()
    assert "Open cases by investigation status" in body
    assert personas.b.case.number in body
    assert personas.a.case.number not in body
    assert "Cases by report week" not in body


def test_epidemiologist_sees_the_epidemic_curve_of_both_lhds(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.state_epi)
    body = client.get(reverse("home")).content.decode()
    assert "Cases by report week" in body
    assert '<svg class="epicurve__chart"' in body
    assert 'role="img"' in body
    assert "Show the data as a table" in body
    assert "2 confirmed, probable or suspect cases" in body
    assert "Open cases by investigation status" not in body


def test_director_gets_both_workload_and_epidemiology(personas: Personas, client: Client) -> None:
    director = make.membership(jurisdiction=personas.a.jurisdiction, role="lhd_director").user
    client.force_login(director)
    body = client.get(reverse("home")).content.decode()
    assert "Open cases by investigation status" in body
    assert "Cases by report week" in body
    assert "1 confirmed, probable or suspect case" in body


def test_state_admin_sees_counts_of_jurisdictions_and_memberships(
    personas: Personas, client: Client
) -> None:
    admin = make.membership(jurisdiction=personas.state, role="state_admin").user
    make.user(username="waiting.for.a.role")
    client.force_login(admin)
    response = client.get(reverse("home"))
    figures = response.context["administration"]
    assert figures.jurisdictions >= 3
    assert figures.unassigned_users == 1
    by_role = {tally.value: tally.count for tally in figures.memberships}
    assert by_role["tracer"] == 2
    assert by_role["state_admin"] == 1
    assert "Memberships by role" in response.content.decode()


def test_lhd_user_admin_counts_only_their_subtree(personas: Personas, client: Client) -> None:
    admin = make.membership(jurisdiction=personas.b.jurisdiction, role="user_admin").user
    client.force_login(admin)
    figures = client.get(reverse("home")).context["administration"]
    assert figures.jurisdictions == 1
    assert figures.unassigned_users is None
    by_role = {tally.value: tally.count for tally in figures.memberships}
    assert by_role["tracer"] == 1


@pytest.mark.django_db
def test_epi_curve_groups_by_mmwr_week_and_classification() -> None:
    from epitrace.cases.models import Case

    today = dt.date(2025, 3, 12)  # a Wednesday
    week = dashboard.week_start(today)
    assert week == dt.date(2025, 3, 9)  # the Sunday before
    make.case(report_date=today, classification="confirmed")
    make.case(report_date=week, classification="probable")
    make.case(report_date=week - dt.timedelta(days=1), classification="confirmed")
    make.case(report_date=today, classification="not_a_case")
    curve = dashboard.epi_curve(Case.objects.all(), today=today)
    assert len(curve.weeks) == dashboard.EPI_CURVE_WEEKS
    last, before = curve.weeks[-1], curve.weeks[-2]
    assert last.start == week
    assert [s.count for s in last.segments] == [1, 1, 0]
    assert before.total == 1
    assert curve.total == 3
    assert curve.peak is last
    top = max(value for value, _ in curve.ticks)
    assert top >= 2


def test_nice_ceiling() -> None:
    assert [dashboard.nice_ceiling(n) for n in (0, 3, 6, 11, 21, 99, 101, 480)] == [
        5,
        5,
        10,
        20,
        50,
        100,
        200,
        500,
    ]


def test_week_start_of_a_sunday_is_itself() -> None:
    sunday = timezone.localdate()
    while sunday.weekday() != 6:
        sunday -= dt.timedelta(days=1)
    assert dashboard.week_start(sunday) == sunday
