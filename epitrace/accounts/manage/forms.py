"""Forms of the user-administration screens.

Every choice of a jurisdiction, team or membership is limited to the
administrator's scope, so a posted id from elsewhere fails as "not one of
the available choices" on its own field. Rules that need the database
(unique names, an administrator's own roles) live in ``services`` and come
back to the form as field errors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from epitrace.accounts.manage.access import AdminScope
from epitrace.accounts.manage.services import Grant, Profile, validate_username
from epitrace.accounts.models import Membership, Team, User
from epitrace.accounts.roles import Role
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.people.choices import LANGUAGES


class TeamChoiceField(forms.ModelChoiceField):
    """Teams named with their jurisdiction: two LHDs may both have a "Team 1"."""

    def label_from_instance(self, obj: Team) -> str:
        return f"{obj.name} — {obj.jurisdiction.name}"


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user} ({obj.user.username}) — {obj.get_role_display()}"


def languages_field(label: Any = None) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label or _("Languages spoken"),
        choices=LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def search_input(placeholder: Any) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "type": "search",
            "placeholder": placeholder,
            "autocomplete": "off",
            "spellcheck": "false",
        }
    )


class ScopedForm(forms.Form):
    """A form whose choices depend on the administrator's scope."""

    def __init__(self, *args: Any, scope: AdminScope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.limit_choices()

    def limit_choices(self) -> None:
        jurisdictions = self.fields.get("jurisdiction")
        if not isinstance(jurisdictions, forms.ModelChoiceField):
            return
        jurisdictions.queryset = self.scope.jurisdictions()
        if jurisdictions.required and not self.is_bound:
            # Most administrators have one LHD: choosing it for them saves a step.
            choices = list(jurisdictions.queryset[:2])
            if len(choices) == 1:
                self.initial.setdefault("jurisdiction", choices[0].pk)


# --- Users ---------------------------------------------------------------------------


class UserStatus:
    ACTIVE = "active"
    INACTIVE = "inactive"
    CHOICES = (("", _("Active and inactive")), (ACTIVE, _("Active")), (INACTIVE, _("Inactive")))


class UserFilterForm(ScopedForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=150,
        widget=search_input(_("Name, username or email")),
    )
    jurisdiction = forms.ModelChoiceField(
        label=_("Jurisdiction"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        empty_label=_("All my jurisdictions"),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("Any role")), *Role.choices], required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=UserStatus.CHOICES, required=False)

    def filter(self, users: QuerySet[User]) -> QuerySet[User]:
        """``users`` narrowed by the valid criteria; an invalid form narrows nothing."""
        data: dict[str, Any] = self.cleaned_data if self.is_valid() else {}
        if text := str(data.get("q") or "").strip():
            users = users.filter(
                Q(username__icontains=text)
                | Q(display_name__icontains=text)
                | Q(first_name__icontains=text)
                | Q(last_name__icontains=text)
                | Q(email__icontains=text)
            )
        if data.get("jurisdiction") or data.get("role"):
            users = users.filter(pk__in=self._memberships(data).values("user_id"))
        if data.get("status"):
            users = users.filter(is_active=data["status"] == UserStatus.ACTIVE)
        return users

    def _memberships(self, data: dict[str, Any]) -> QuerySet[Membership]:
        memberships = self.scope.memberships()
        if jurisdiction := data.get("jurisdiction"):
            # A regional office picks a node and means everything below it too.
            memberships = memberships.filter(jurisdiction__path__startswith=jurisdiction.path)
        if role := data.get("role"):
            memberships = memberships.filter(role=role)
        return memberships

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150)
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("Password resets are sent here."),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    languages = languages_field()

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        return {
            "display_name": user.display_name,
            "email": user.email,
            "languages": user.language_codes,
        }

    def profile(self) -> Profile:
        data = self.cleaned_data
        return Profile(data["display_name"], data["email"], tuple(data["languages"]))


class GrantForm(ScopedForm):
    """A role in a jurisdiction, optionally in one of that jurisdiction's teams."""

    jurisdiction = forms.ModelChoiceField(
        label=_("Jurisdiction"), queryset=Jurisdiction.objects.none()
    )
    role = forms.ChoiceField(label=_("Role"), choices=[("", "---------"), *Role.choices])
    team = TeamChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("No team"),
        help_text=_("Optional; a team of the same jurisdiction."),
    )

    def limit_choices(self) -> None:
        super().limit_choices()
        team = self.fields["team"]
        assert isinstance(team, TeamChoiceField)
        team.queryset = self.scope.teams().select_related("jurisdiction")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        team, jurisdiction = data.get("team"), data.get("jurisdiction")
        if (
            team is not None
            and jurisdiction is not None
            and team.jurisdiction_id != jurisdiction.pk
        ):
            self.add_error("team", _("Choose a team of the jurisdiction of the role."))
        return data

    def grant(self) -> Grant:
        data = self.cleaned_data
        return Grant(data["jurisdiction"], data["role"], data.get("team"))


class UserCreateForm(GrantForm, ProfileForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Lowercase letters, digits and dots, e.g. maria.silva"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    field_order = ("username", "display_name", "email", "languages", "jurisdiction", "role")

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"]).strip().lower()
        validate_username(username)
        return username


class MfaResetForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("For the audit trail, e.g. “lost phone, identity checked by phone call”."),
    )


# --- Teams ---------------------------------------------------------------------------


class TeamForm(ScopedForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    jurisdiction = forms.ModelChoiceField(
        label=_("Jurisdiction"), queryset=Jurisdiction.objects.none()
    )
    languages = languages_field(_("Languages"))

    @classmethod
    def initial_for(cls, team: Team) -> dict[str, Any]:
        codes = [code.strip() for code in team.languages.split(",") if code.strip()]
        return {"name": team.name, "jurisdiction": team.jurisdiction_id, "languages": codes}


class TeamFilterForm(ScopedForm):
    jurisdiction = forms.ModelChoiceField(
        label=_("Jurisdiction"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        empty_label=_("All my jurisdictions"),
    )

    def filter(self, teams: QuerySet[Team]) -> QuerySet[Team]:
        jurisdiction = self.cleaned_data.get("jurisdiction") if self.is_valid() else None
        if jurisdiction is None:
            return teams
        return teams.filter(jurisdiction__path__startswith=jurisdiction.path)


class MoveForm(forms.Form):
    """The team of one membership: another team of its jurisdiction, or none."""

    team = TeamChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("No team")
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        assert isinstance(field, TeamChoiceField)
        field.queryset = teams


class TeamMemberForm(forms.Form):
    membership = MembershipChoiceField(
        label=_("Role holder"),
        queryset=Membership.objects.none(),
        help_text=_("Roles in this team's jurisdiction that are in another team or none."),
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        assert isinstance(field, MembershipChoiceField)
        field.queryset = (
            Membership.objects.filter(jurisdiction_id=team.jurisdiction_id)
            .exclude(team=team)
            .select_related("user")
            .order_by("user__display_name", "user__username", "role")
        )
