"""Who reaches the manage screens, and whose users: everything else is a 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from epitrace.accounts.manage.tests.conftest import sign_in
from epitrace.accounts.models import Membership, Team, User
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas
from epitrace.web.tests.utils import without_csrf_tokens

NOT_FOUND = "There is no page or record at this address that you can open."


def every_url(personas: Personas) -> list[str]:
    """Each manage URL, pointed at LHD A's records."""
    user = personas.a.tracer
    membership = Membership.objects.get(user=user)
    team = f.TeamFactory.create(jurisdiction=personas.a.jurisdiction)
    by_user = [
        "user_detail",
        "membership_add",
        "user_deactivate",
        "user_reactivate",
        "user_mfa_reset",
        "user_logout_everywhere",
        "user_password_link",
    ]
    return [
        reverse("manage:index"),
        reverse("manage:user_list"),
        reverse("manage:user_create"),
        *(reverse(f"manage:{name}", args=[user.pk]) for name in by_user),
        reverse("manage:membership_remove", args=[membership.pk]),
        reverse("manage:membership_move", args=[membership.pk]),
        reverse("manage:team_list"),
        reverse("manage:team_create"),
        reverse("manage:team_detail", args=[team.pk]),
        reverse("manage:team_member_add", args=[team.pk]),
    ]


@pytest.mark.parametrize("who", ["tracer", "state_epi"])
def test_staff_without_the_capability_get_404_everywhere(
    personas: Personas, client: Client, who: str
) -> None:
    user = personas.a.tracer if who == "tracer" else personas.state_epi
    sign_in(client, user)
    urls = every_url(personas)
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, (method.__name__, url)
            assert NOT_FOUND in response.content.decode()
    assert Membership.objects.filter(user=personas.a.tracer).count() == 1


def test_lhd_admin_lists_own_lhd_only(personas: Personas, client_a: Client, admin_a: User) -> None:
    response = client_a.get(reverse("manage:user_list"))
    assert response.status_code == 200
    listed = {user.username for user in response.context["page"].object_list}
    assert listed == {"tracer.a", "admin.a"}
    body = response.content.decode()
    assert "tracer.b" not in body
    assert "state.epi" not in body
    assert "LHD B Health Department" not in body


def test_lhd_admin_never_sees_accounts_without_a_role(
    personas: Personas, client_a: Client, state_client: Client
) -> None:
    f.UserFactory.create(username="newcomer")
    listed = client_a.get(reverse("manage:user_list")).context["page"].object_list
    assert "newcomer" not in {user.username for user in listed}
    state_listed = state_client.get(reverse("manage:user_list")).context["page"].object_list
    assert "newcomer" in {user.username for user in state_listed}


def test_state_admin_sees_everyone_but_the_system_identity(
    personas: Personas, state_client: Client
) -> None:
    from epitrace.accounts.scope import system_user

    system_user()
    response = state_client.get(reverse("manage:user_list"))
    listed = {user.username for user in response.context["page"].object_list}
    assert {"tracer.a", "tracer.b", "state.epi", "admin.state"} <= listed
    assert "system" not in listed


def test_a_user_shared_with_the_state_shows_only_the_lhd_role(
    personas: Personas, client_a: Client
) -> None:
    epi = personas.state_epi
    f.MembershipFactory.create(user=epi, jurisdiction=personas.a.jurisdiction, role="tracer")
    response = client_a.get(reverse("manage:user_list"), {"q": "state.epi"})
    [row] = response.context["page"].object_list
    assert [m.jurisdiction_id for m in row.scoped] == [personas.a.jurisdiction.pk]
    assert row.memberships_elsewhere == 1
    assert "and 1 role elsewhere" in response.content.decode()


def test_other_lhds_user_is_404_on_get_and_post(personas: Personas, client_a: Client) -> None:
    other = personas.b.tracer
    membership = Membership.objects.get(user=other)
    assert client_a.get(reverse("manage:user_detail", args=[other.pk])).status_code == 404
    posts = {
        reverse("manage:user_detail", args=[other.pk]): {
            "profile-display_name": "Hijacked",
            "profile-email": "attacker@example.org",
        },
        reverse("manage:user_deactivate", args=[other.pk]): {},
        reverse("manage:user_mfa_reset", args=[other.pk]): {"mfa-reason": "x"},
        reverse("manage:user_logout_everywhere", args=[other.pk]): {},
        reverse("manage:membership_remove", args=[membership.pk]): {},
        reverse("manage:membership_add", args=[other.pk]): {
            "grant-jurisdiction": personas.b.jurisdiction.pk,
            "grant-role": "supervisor",
        },
    }
    for url, data in posts.items():
        assert client_a.post(url, data).status_code == 404, url
    other.refresh_from_db()
    assert (other.display_name, other.is_active, other.session_version) == ("Tracer B", True, 0)
    assert list(Membership.objects.filter(user=other).values_list("role", flat=True)) == ["tracer"]


def test_404_for_another_lhd_looks_like_a_missing_user(
    personas: Personas, client_a: Client
) -> None:
    other = client_a.get(reverse("manage:user_detail", args=[personas.b.tracer.pk]))
    missing = client_a.get(reverse("manage:user_detail", args=[999_999]))
    assert other.status_code == missing.status_code == 404
    assert without_csrf_tokens(other.content) == without_csrf_tokens(missing.content)


def test_post_with_a_real_csrf_token_is_still_404_across_the_boundary(
    personas: Personas, admin_a: User
) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), admin_a)
    page = client.get(reverse("manage:user_detail", args=[personas.a.tracer.pk]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    other = personas.b.tracer
    response = client.post(
        reverse("manage:user_deactivate", args=[other.pk]),
        {"csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active
    # The same token works on a user in reach: the 404 was the scope, not CSRF.
    response = client.post(
        reverse("manage:user_deactivate", args=[personas.a.tracer.pk]),
        {"csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302
    personas.a.tracer.refresh_from_db()
    assert not personas.a.tracer.is_active


@pytest.mark.parametrize("where", ["b", "state"])
def test_lhd_admin_cannot_grant_a_role_outside_their_lhd(
    personas: Personas, client_a: Client, where: str
) -> None:
    jurisdiction = personas.b.jurisdiction if where == "b" else personas.state
    tracer = personas.a.tracer
    response = client_a.post(
        reverse("manage:membership_add", args=[tracer.pk]),
        {"grant-jurisdiction": jurisdiction.pk, "grant-role": "epidemiologist"},
    )
    assert response.status_code == 200
    form = response.context["grant_form"]
    assert "jurisdiction" in form.errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Membership.objects.filter(user=tracer, jurisdiction=jurisdiction).exists()


def test_lhd_admin_cannot_create_a_user_at_the_state(personas: Personas, client_a: Client) -> None:
    response = client_a.post(
        reverse("manage:user_create"),
        {
            "username": "sneaky",
            "display_name": "Sneaky",
            "email": "sneaky@health.example.org",
            "jurisdiction": personas.state.pk,
            "role": "state_admin",
        },
    )
    assert response.status_code == 200
    assert "jurisdiction" in response.context["form"].errors
    assert not User.objects.filter(username="sneaky").exists()


def test_lhd_admin_cannot_reach_other_lhds_teams(personas: Personas, client_a: Client) -> None:
    team_b = f.TeamFactory.create(jurisdiction=personas.b.jurisdiction, name="B Team")
    assert client_a.get(reverse("manage:team_detail", args=[team_b.pk])).status_code == 404
    response = client_a.get(reverse("manage:team_list"))
    assert "B Team" not in response.content.decode()
    membership = Membership.objects.get(user=personas.a.tracer)
    response = client_a.post(
        reverse("manage:membership_move", args=[membership.pk]), {"team": team_b.pk}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.team is None
    response = client_a.post(
        reverse("manage:team_create"),
        {"name": "Sneaky", "jurisdiction": personas.b.jurisdiction.pk},
    )
    assert "jurisdiction" in response.context["form"].errors
    assert not Team.objects.filter(name="Sneaky").exists()


def test_jurisdiction_choices_are_limited_to_the_scope(
    personas: Personas, client_a: Client
) -> None:
    response = client_a.get(reverse("manage:user_list"))
    choices = list(response.context["form"].fields["jurisdiction"].queryset)
    assert choices == [personas.a.jurisdiction]
    team_b = f.TeamFactory.create(jurisdiction=personas.b.jurisdiction, name="B Team")
    page = client_a.get(reverse("manage:user_detail", args=[personas.a.tracer.pk]))
    grant = page.context["grant_form"]
    assert list(grant.fields["jurisdiction"].queryset) == [personas.a.jurisdiction]
    assert team_b not in grant.fields["team"].queryset
