"""Teams: create, edit, and moving roles between the teams of one jurisdiction."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from epitrace.accounts.models import Membership, Team
from epitrace.audit.models import AuditEvent
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas


def test_create_and_rename_a_team(personas: Personas, client_a: Client) -> None:
    response = client_a.post(
        reverse("manage:team_create"),
        {"name": "Spanish line", "jurisdiction": personas.a.jurisdiction.pk, "languages": ["es"]},
    )
    team = Team.objects.get(name="Spanish line")
    assert response["Location"] == reverse("manage:team_detail", args=[team.pk])
    assert (team.jurisdiction, team.languages) == (personas.a.jurisdiction, "es")

    response = client_a.post(
        reverse("manage:team_detail", args=[team.pk]),
        {
            "team-name": "Spanish and Portuguese line",
            "team-jurisdiction": personas.a.jurisdiction.pk,
            "team-languages": ["es", "pt"],
        },
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.languages) == ("Spanish and Portuguese line", "es,pt")
    actions = list(
        AuditEvent.objects.filter(object_type="accounts.team", object_id=str(team.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update"]
    update = AuditEvent.objects.get(object_type="accounts.team", action="update")
    assert update.payload.data["changes"]["languages"] == ["es", "es,pt"]


def test_team_names_are_unique_per_jurisdiction(personas: Personas, client_a: Client) -> None:
    f.TeamFactory.create(jurisdiction=personas.a.jurisdiction, name="Day shift")
    response = client_a.post(
        reverse("manage:team_create"),
        {"name": "day shift", "jurisdiction": personas.a.jurisdiction.pk},
    )
    assert "name" in response.context["form"].errors


def test_members_move_between_teams_of_their_jurisdiction(
    personas: Personas, client_a: Client
) -> None:
    day = f.TeamFactory.create(jurisdiction=personas.a.jurisdiction, name="Day")
    night = f.TeamFactory.create(jurisdiction=personas.a.jurisdiction, name="Night")
    membership = Membership.objects.get(user=personas.a.tracer)

    response = client_a.post(
        reverse("manage:team_member_add", args=[day.pk]), {"member-membership": membership.pk}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.team == day
    page = client_a.get(reverse("manage:team_detail", args=[day.pk]))
    assert [m.pk for m in page.context["members"]] == [membership.pk]

    day_url = reverse("manage:team_detail", args=[day.pk])
    response = client_a.post(
        reverse("manage:membership_move", args=[membership.pk]),
        {"team": night.pk, "next": day_url},
    )
    assert response["Location"] == day_url
    membership.refresh_from_db()
    assert membership.team == night
    moves = AuditEvent.objects.filter(
        action="permission_change", object_type="accounts.membership", object_id=str(membership.pk)
    ).order_by("pk")
    assert [event.payload.data["changes"]["team_id"] for event in moves] == [
        [None, day.pk],
        [day.pk, night.pk],
    ]

    client_a.post(reverse("manage:membership_move", args=[membership.pk]), {"team": ""})
    membership.refresh_from_db()
    assert membership.team is None


def test_moves_stay_inside_the_jurisdiction(personas: Personas, state_client: Client) -> None:
    """Even the state administrator, who reaches both, cannot cross teams of two LHDs."""
    team_b = f.TeamFactory.create(jurisdiction=personas.b.jurisdiction)
    membership = Membership.objects.get(user=personas.a.tracer)
    response = state_client.post(
        reverse("manage:membership_move", args=[membership.pk]), {"team": team_b.pk}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.team is None

    team_a = f.TeamFactory.create(jurisdiction=personas.a.jurisdiction)
    response = state_client.post(
        reverse("manage:team_member_add", args=[team_b.pk]), {"member-membership": membership.pk}
    )
    assert "membership" in response.context["member_form"].errors
    membership.refresh_from_db()
    assert membership.team is None
    assert team_a.memberships.count() == 0


def test_next_must_be_a_local_address(personas: Personas, client_a: Client) -> None:
    membership = Membership.objects.get(user=personas.a.tracer)
    response = client_a.post(
        reverse("manage:membership_move", args=[membership.pk]),
        {"team": "", "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("manage:user_detail", args=[personas.a.tracer.pk])


def test_a_team_with_members_keeps_its_jurisdiction(
    personas: Personas, state_client: Client
) -> None:
    team = f.TeamFactory.create(jurisdiction=personas.a.jurisdiction, name="Day")
    Membership.objects.filter(user=personas.a.tracer).update(team=team)
    response = state_client.post(
        reverse("manage:team_detail", args=[team.pk]),
        {"team-name": "Day", "team-jurisdiction": personas.b.jurisdiction.pk},
    )
    assert "jurisdiction" in response.context["team_form"].errors
    team.refresh_from_db()
    assert team.jurisdiction == personas.a.jurisdiction


def test_team_list_counts_members(personas: Personas, client_a: Client) -> None:
    team = f.TeamFactory.create(jurisdiction=personas.a.jurisdiction, name="Day", languages="es")
    Membership.objects.filter(user=personas.a.tracer).update(team=team)
    f.TeamFactory.create(jurisdiction=personas.b.jurisdiction, name="Elsewhere")
    response = client_a.get(reverse("manage:team_list"))
    [row] = response.context["page"].object_list
    assert (row.team.name, row.team.member_count, row.language_names) == ("Day", 1, ["Spanish"])
    assert "Elsewhere" not in response.content.decode()
