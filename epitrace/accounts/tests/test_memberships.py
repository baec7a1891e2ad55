"""The request's memberships: read once, shared, and the same as the ORM would give."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from epitrace.accounts.fields import roles_of
from epitrace.accounts.memberships import active_memberships, user_memberships
from epitrace.accounts.models import Membership, User
from epitrace.accounts.scope import forget_scope, has_capability, visible_jurisdiction_ids
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db


def _membership_reads(queries: CaptureQueriesContext) -> list[str]:
    table = Membership._meta.db_table
    return [
        q["sql"] for q in queries.captured_queries if f"FROM {table}" in q["sql"].replace('"', "")
    ]


def test_the_rows_are_the_orm_rows_with_jurisdiction_and_team(personas: Personas) -> None:
    user = personas.a.tracer
    team = f.TeamFactory.create(jurisdiction=personas.b.jurisdiction, languages="es,pt")
    f.MembershipFactory.create(
        user=user, jurisdiction=personas.b.jurisdiction, role="supervisor", team=team
    )
    f.MembershipFactory.create(user=user, jurisdiction=personas.state, role="analyst")
    expected = list(
        Membership.objects.filter(user=user)
        .select_related("jurisdiction", "team")
        .order_by("jurisdiction__path", "role")
    )

    fresh = User.objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as queries:
        rows = user_memberships(fresh)
        seen = [
            (m.pk, m.role, m.jurisdiction.name, m.jurisdiction.path, m.team and m.team.languages)
            for m in rows
        ]
    assert len(queries.captured_queries) == 1
    assert seen == [
        (m.pk, m.role, m.jurisdiction.name, m.jurisdiction.path, m.team and m.team.languages)
        for m in expected
    ]
    assert [m.jurisdiction for m in rows] == [m.jurisdiction for m in expected]
    assert all(m.account_active is True for m in rows)  # type: ignore[attr-defined]
    assert rows[0].get_role_display() == expected[0].get_role_display()


def test_one_read_serves_scope_menu_and_fields(personas: Personas) -> None:
    user = User.objects.get(pk=personas.a.tracer.pk)
    with CaptureQueriesContext(connection) as queries:
        user_memberships(user)
        has_capability(user, "queues.change_workitem")
        roles_of(user)
        visible_jurisdiction_ids(user, "people.view_person")
    assert len(_membership_reads(queries)) == 1


def test_a_deactivated_account_grants_nothing_through_an_old_user_object(
    personas: Personas,
) -> None:
    user = User.objects.get(pk=personas.a.tracer.pk)  # loaded while still active
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert user_memberships(user)  # still listed (who they were) ...
    assert active_memberships(user) == []  # ... granting nothing
    assert visible_jurisdiction_ids(user, "people.view_person") == frozenset()


def test_forget_scope_reads_the_memberships_again(personas: Personas) -> None:
    user = User.objects.get(pk=personas.a.tracer.pk)
    assert not has_capability(user, "accounts.manage_users")
    f.MembershipFactory.create(user=user, jurisdiction=personas.a.jurisdiction, role="user_admin")
    assert not has_capability(user, "accounts.manage_users")  # the request's own copy
    forget_scope(user)
    assert has_capability(user, "accounts.manage_users")
