"""Creating and changing accounts and roles, each change audited."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from epitrace.accounts.manage import services
from epitrace.accounts.manage.access import OutOfScope
from epitrace.accounts.manage.tests.conftest import admin_at, sign_in
from epitrace.accounts.models import Membership, User
from epitrace.audit.models import AuditEvent
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def events(action: str, obj: Model) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
    )


def changes(event: AuditEvent) -> dict[str, Any]:
    return dict(event.payload.data["changes"])


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def create(client: Client, **overrides: Any) -> Any:
    data = {
        "username": "Maria.Silva",
        "display_name": "Maria Silva",
        "email": "Maria.Silva@Health.example.org",
        "languages": ["pt", "en"],
        "role": "tracer",
        **overrides,
    }
    return client.post(reverse("manage:user_create"), data)


# --- Creating an account ----------------------------------------------------------


def test_create_user_with_a_first_role_and_a_one_time_link(
    personas: Personas, client_a: Client, admin_a: User
) -> None:
    team = f.TeamFactory.create(jurisdiction=personas.a.jurisdiction, name="Night shift")
    response = create(client_a, jurisdiction=personas.a.jurisdiction.pk, team=team.pk)
    user = User.objects.get(username="maria.silva")
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:user_detail", args=[user.pk])
    assert (user.email, user.languages) == ("maria.silva@health.example.org", "en,pt")
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert (membership.jurisdiction, membership.role, membership.team) == (
        personas.a.jurisdiction,
        "tracer",
        team,
    )

    page = client_a.get(response["Location"])
    link = page.context["password_link"]
    assert link.startswith("http://testserver/accounts/password/reset/key/")
    assert link in page.content.decode()
    assert client_a.get(response["Location"]).context["password_link"] is None

    [created] = events("create", user)
    assert created.actor_id == admin_a.pk
    assert changes(created)["username"] == [None, "maria.silva"]
    [granted] = events("permission_change", membership)
    assert changes(granted)["role"] == [None, "tracer"]
    assert granted.jurisdiction_id == personas.a.jurisdiction.pk


def test_the_link_lets_the_new_user_set_a_password_once(
    personas: Personas, client_a: Client
) -> None:
    create(client_a, jurisdiction=personas.a.jurisdiction.pk)
    user = User.objects.get(username="maria.silva")
    link = client_a.get(reverse("manage:user_detail", args=[user.pk])).context["password_link"]

    newcomer = Client()
    step = newcomer.get(link)
    assert step.status_code == 302
    assert step["Location"].endswith("-set-password/")  # the key left the URL
    form = newcomer.get(step["Location"])
    assert form.status_code == 200
    assert not form.context.get("token_fail")
    done = newcomer.post(step["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The token hashed the unusable password: it died when the password was set.
    again = Client().get(link)
    assert again.status_code == 200
    assert again.context["token_fail"]


def test_new_link_only_while_no_password_is_set(
    personas: Personas, client_a: Client, admin_a: User
) -> None:
    create(client_a, jurisdiction=personas.a.jurisdiction.pk)
    user = User.objects.get(username="maria.silva")
    url = reverse("manage:user_password_link", args=[user.pk])
    page = client_a.post(url, follow=True)
    assert page.context["password_link"]
    assert len(events("permission_change", user)) == 1

    tracer = personas.a.tracer  # has a password of their own
    page = client_a.post(reverse("manage:user_password_link", args=[tracer.pk]), follow=True)
    assert page.context["password_link"] is None
    assert "This user has already set a password." in messages_of(page)


def test_create_user_shows_which_field_is_wrong(personas: Personas, client_a: Client) -> None:
    f.UserFactory.create(username="taken", email="taken@health.example.org")
    cases = {
        "username": {"username": "maria silva"},
        "email": {"email": "not-an-email"},
        "role": {"role": "overlord"},
    }
    for field, override in cases.items():
        response = create(client_a, jurisdiction=personas.a.jurisdiction.pk, **override)
        assert field in response.context["form"].errors, field
    response = create(client_a, jurisdiction=personas.a.jurisdiction.pk, username="TAKEN")
    assert response.context["form"].errors["username"] == ["This username is taken."]
    response = create(
        client_a, jurisdiction=personas.a.jurisdiction.pk, email="Taken@health.example.org"
    )
    assert "email" in response.context["form"].errors
    team_b = f.TeamFactory.create(jurisdiction=personas.b.jurisdiction)
    response = create(client_a, jurisdiction=personas.a.jurisdiction.pk, team=team_b.pk)
    assert "team" in response.context["form"].errors
    assert not User.objects.filter(username__in=["maria.silva", "maria silva"]).exists()


def test_state_administrator_role_only_at_the_state(
    personas: Personas, state_client: Client
) -> None:
    response = create(state_client, jurisdiction=personas.a.jurisdiction.pk, role="state_admin")
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="maria.silva").exists()
    response = create(state_client, jurisdiction=personas.state.pk, role="state_admin")
    assert response.status_code == 302


# --- Editing an account -------------------------------------------------------------


def test_update_profile_audits_before_and_after_and_drops_the_old_address(
    personas: Personas, client_a: Client
) -> None:
    tracer = personas.a.tracer
    EmailAddress.objects.create(user=tracer, email=tracer.email, primary=True)
    response = client_a.post(
        reverse("manage:user_detail", args=[tracer.pk]),
        {
            "profile-display_name": "Tracer Alvarez",
            "profile-email": "new.address@health.example.org",
            "profile-languages": ["es"],
        },
    )
    assert response.status_code == 302
    tracer.refresh_from_db()
    assert (tracer.display_name, tracer.email, tracer.languages) == (
        "Tracer Alvarez",
        "new.address@health.example.org",
        "es",
    )
    assert not EmailAddress.objects.filter(user=tracer, email="tracer.a@health.example.org")
    [event] = events("update", tracer)
    assert changes(event)["email"] == [
        "tracer.a@health.example.org",
        "new.address@health.example.org",
    ]
    assert changes(event)["display_name"] == ["Tracer A", "Tracer Alvarez"]


def test_profile_errors_are_shown_on_the_field(personas: Personas, client_a: Client) -> None:
    response = client_a.post(
        reverse("manage:user_detail", args=[personas.a.tracer.pk]),
        {"profile-display_name": "", "profile-email": "x"},
    )
    form = response.context["profile_form"]
    assert set(form.errors) == {"display_name", "email"}
    assert 'id="id_profile-email_error"' in response.content.decode()


# --- Roles ----------------------------------------------------------------------------


def test_add_and_remove_a_role(personas: Personas, client_a: Client) -> None:
    tracer = personas.a.tracer
    response = client_a.post(
        reverse("manage:membership_add", args=[tracer.pk]),
        {"grant-jurisdiction": personas.a.jurisdiction.pk, "grant-role": "supervisor"},
    )
    assert response.status_code == 302
    added = Membership.objects.get(user=tracer, role="supervisor")
    assert len(events("permission_change", added)) == 1

    response = client_a.post(reverse("manage:membership_remove", args=[added.pk]))
    assert response["Location"] == reverse("manage:user_detail", args=[tracer.pk])
    assert not Membership.objects.filter(pk=added.pk).exists()
    granted, removed = AuditEvent.objects.filter(
        object_type="accounts.membership", object_id=str(added.pk)
    ).order_by("pk")
    assert changes(granted)["role"] == [None, "supervisor"]
    assert changes(removed)["role"] == ["supervisor", None]


def test_the_same_role_twice_is_a_field_error(personas: Personas, client_a: Client) -> None:
    response = client_a.post(
        reverse("manage:membership_add", args=[personas.a.tracer.pk]),
        {"grant-jurisdiction": personas.a.jurisdiction.pk, "grant-role": "tracer"},
    )
    assert response.context["grant_form"].errors["role"] == [
        "The user already holds this role in this jurisdiction."
    ]


def test_no_one_grants_themselves_a_role(
    personas: Personas, client_a: Client, admin_a: User
) -> None:
    response = client_a.post(
        reverse("manage:membership_add", args=[admin_a.pk]),
        {"grant-jurisdiction": personas.a.jurisdiction.pk, "grant-role": "tracer"},
    )
    assert response.status_code == 200
    assert response.context["grant_form"].non_field_errors()
    assert Membership.objects.filter(user=admin_a).count() == 1


def test_cannot_remove_own_last_administrator_role(client_a: Client, admin_a: User) -> None:
    membership = Membership.objects.get(user=admin_a)
    response = client_a.post(reverse("manage:membership_remove", args=[membership.pk]), follow=True)
    assert any("last administrator role" in m for m in messages_of(response))
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_lhd_admin_cannot_strip_a_user_of_every_role(
    personas: Personas, client_a: Client, state_client: Client
) -> None:
    membership = Membership.objects.get(user=personas.a.tracer)
    response = client_a.post(reverse("manage:membership_remove", args=[membership.pk]), follow=True)
    assert any("last role" in m for m in messages_of(response))
    assert Membership.objects.filter(pk=membership.pk).exists()
    # The state sees accounts without a role, so the state's administrator may.
    state_client.post(reverse("manage:membership_remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_a_shared_user_loses_only_the_lhd_role(personas: Personas, client_a: Client) -> None:
    epi = personas.state_epi
    shared = f.MembershipFactory.create(user=epi, jurisdiction=personas.a.jurisdiction)
    page = client_a.get(reverse("manage:user_detail", args=[epi.pk]))
    body = page.content.decode()
    assert "and 1 membership elsewhere" in body
    assert "only an administrator of all of them can change the account itself" in body
    # The state role itself is not shown, only counted.
    assert [row.membership for row in page.context["account"].roles] == [shared]

    response = client_a.post(reverse("manage:user_deactivate", args=[epi.pk]), follow=True)
    assert any("outside the jurisdictions you administer" in m for m in messages_of(response))
    epi.refresh_from_db()
    assert epi.is_active
    response = client_a.post(
        reverse("manage:user_detail", args=[epi.pk]),
        {"profile-display_name": "Mine now", "profile-email": "me@example.org"},
    )
    assert response.context["profile_form"].non_field_errors()
    assert "outside the jurisdictions you administer" in response.content.decode()
    epi.refresh_from_db()
    assert epi.email == "state.epi@health.example.org"

    response = client_a.post(reverse("manage:membership_remove", args=[shared.pk]))
    assert response["Location"] == reverse("manage:user_list")  # out of reach now
    assert list(Membership.objects.filter(user=epi).values_list("role", flat=True)) == [
        "epidemiologist"
    ]


# --- Account actions --------------------------------------------------------------


def test_deactivate_and_reactivate(personas: Personas, client_a: Client) -> None:
    tracer = personas.a.tracer
    tracer_client = sign_in(Client(), tracer)
    assert tracer_client.get(reverse("home")).status_code == 200

    client_a.post(reverse("manage:user_deactivate", args=[tracer.pk]))
    tracer.refresh_from_db()
    assert not tracer.is_active
    assert tracer_client.get(reverse("home")).status_code == 302  # signed out
    [event] = events("permission_change", tracer)
    assert changes(event)["is_active"] == [True, False]

    client_a.post(reverse("manage:user_reactivate", args=[tracer.pk]))
    tracer.refresh_from_db()
    assert tracer.is_active
    assert len(events("permission_change", tracer)) == 2


def test_cannot_deactivate_oneself(client_a: Client, admin_a: User) -> None:
    response = client_a.post(reverse("manage:user_deactivate", args=[admin_a.pk]), follow=True)
    assert "You cannot deactivate your own account." in messages_of(response)
    admin_a.refresh_from_db()
    assert admin_a.is_active


def test_log_out_everywhere(personas: Personas, client_a: Client) -> None:
    tracer = personas.a.tracer
    tracer_client = sign_in(Client(), tracer)
    assert tracer_client.get(reverse("home")).status_code == 200

    response = client_a.post(reverse("manage:user_logout_everywhere", args=[tracer.pk]))
    assert response.status_code == 302
    tracer.refresh_from_db()
    assert tracer.session_version == 1
    assert tracer_client.get(reverse("home")).status_code == 302
    [event] = events("permission_change", tracer)
    assert changes(event) == {"session_version": [0, 1]}


def test_reset_mfa_needs_a_reason_and_removes_every_factor(
    personas: Personas, client_a: Client
) -> None:
    tracer = personas.a.tracer
    for kind in ("totp", "recovery_codes"):
        Authenticator.objects.create(user=tracer, type=kind, data={})
    page = client_a.get(reverse("manage:user_list"), {"q": "tracer.a"})
    assert [row.mfa_enrolled for row in page.context["page"].object_list] == [True]

    url = reverse("manage:user_mfa_reset", args=[tracer.pk])
    response = client_a.post(url, {"mfa-reason": ""})
    assert "reason" in response.context["mfa_form"].errors
    assert Authenticator.objects.filter(user=tracer).count() == 2

    response = client_a.post(url, {"mfa-reason": "Lost phone; identity checked by call"})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=tracer).exists()
    tracer.refresh_from_db()
    assert tracer.session_version == 1
    [event] = events("mfa", tracer)
    assert event.reason == "Lost phone; identity checked by call"
    assert event.payload.data["reset"] == {"removed": ["recovery_codes", "totp"]}


def test_cannot_reset_own_mfa(client_a: Client, admin_a: User) -> None:
    Authenticator.objects.create(user=admin_a, type="totp", data={})
    response = client_a.post(
        reverse("manage:user_mfa_reset", args=[admin_a.pk]), {"mfa-reason": "why not"}
    )
    assert response.context["mfa_form"].non_field_errors()
    assert Authenticator.objects.filter(user=admin_a).exists()


def test_a_second_lhd_admin_is_an_ordinary_account_to_the_first(
    personas: Personas, client_a: Client
) -> None:
    colleague = admin_at("admin.a2", personas.a.jurisdiction)
    membership = Membership.objects.get(user=colleague)
    response = client_a.post(reverse("manage:user_deactivate", args=[colleague.pk]))
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_reset_mfa_of_a_user_without_factors_still_succeeds(
    personas: Personas, client_a: Client
) -> None:
    url = reverse("manage:user_mfa_reset", args=[personas.a.tracer.pk])
    response = client_a.post(url, {"mfa-reason": "Enrolment stuck"})
    assert response.status_code == 302
    [event] = events("mfa", personas.a.tracer)
    assert event.payload.data["reset"] == {"removed": []}


def test_a_write_that_leaves_the_scope_rolls_back(
    personas: Personas, admin_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Style rule 3: the scope is checked again after the write, in the transaction."""
    original = services._add_membership

    def and_lose_the_admin_role(*args: Any, **kwargs: Any) -> Membership:
        created = original(*args, **kwargs)
        # Another administrator removes admin.a's role at the same moment.
        Membership.objects.filter(user=admin_a).delete()
        return created

    monkeypatch.setattr(services, "_add_membership", and_lose_the_admin_role)
    grant = services.Grant(personas.a.jurisdiction, "supervisor")
    with pytest.raises(OutOfScope):
        services.do_add_membership(personas.a.tracer, grant, acting_user=admin_a)
    assert not Membership.objects.filter(user=personas.a.tracer, role="supervisor").exists()
    assert Membership.objects.filter(user=admin_a).exists()  # rolled back as well
    assert not AuditEvent.objects.filter(action="permission_change").exists()
