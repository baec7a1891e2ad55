"""User administration's state changes: every write behind the manage screens.

Each ``do_*`` function is atomic, takes ``acting_user`` keyword-only, reads
the administrator's scope afresh inside its transaction (not the request's
cached copy), locks the account it changes, writes the audit event, and
checks the scope again after the write (style rule 3): a change that would
leave a record outside the administrator's reach rolls back as a 404.

A rule the administrator can act on (their own last administrator role, a
team of another jurisdiction...) raises ``ValidationError``, keyed by the
form field to blame where there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from epitrace.accounts.manage import mfa
from epitrace.accounts.manage.access import CAPABILITY, AdminScope, OutOfScope, fresh_scope
from epitrace.accounts.models import Membership, Team, User
from epitrace.accounts.roles import Role, role_grants
from epitrace.audit.services import Action, record, record_change, snapshot
from epitrace.jurisdictions.models import Jurisdiction, JurisdictionKind
from epitrace.people.choices import LANGUAGE_NAMES

# Lowercase letters, digits and inner dots ("maria.silva2"): typed at every
# sign-in, read over the phone, and never confused by case.
validate_username = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9.]*[a-z0-9])?\Z",
    _lazy("Use lowercase letters, digits and dots, starting and ending with a letter or digit."),
    code="invalid_username",
)

# What the audit trail keeps before and after each change.
USER_FIELDS = ("username", "display_name", "email", "languages", "is_active")
MEMBERSHIP_FIELDS = ("user", "jurisdiction", "role", "team")
TEAM_FIELDS = ("name", "jurisdiction", "languages")


@dataclass(frozen=True)
class Profile:
    """The fields of an account an administrator edits."""

    display_name: str
    email: str
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grant:
    """A role to give in a jurisdiction, optionally in one of its teams."""

    jurisdiction: Jurisdiction
    role: str
    team: Team | None = None


@dataclass(frozen=True)
class NewAccount:
    user: User
    password_path: str


# --- Accounts ----------------------------------------------------------------------


def do_create_user(
    username: str,
    profile: Profile,
    grant: Grant,
    *,
    acting_user: User,
    request: HttpRequest | None = None,
) -> NewAccount:
    """Create a staff account with its first role and no usable password.

    The new user sets a password through the link returned here, which the
    administrator passes on: nobody else ever knows the password.
    """
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        _check_grant(scope, grant)
        _check_username(username)
        _check_unique(username=username, email=profile.email)
        user = User(username=username, **_profile_fields(profile))
        user.set_unusable_password()
        user.save()
        record_change(
            acting_user, user, {}, _user_state(user), action=Action.CREATE, request=request
        )
        _add_membership(user, grant, acting_user=acting_user, request=request)
        _recheck_jurisdiction(acting_user, grant.jurisdiction)
        return NewAccount(user, _password_path(user))


def do_update_user(
    user: User, profile: Profile, *, acting_user: User, request: HttpRequest | None = None
) -> User:
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        user = _lock_account(scope, user)
        before = _user_state(user)
        _check_unique(email=profile.email, exclude=user)
        for name, value in _profile_fields(profile).items():
            setattr(user, name, value)
        user.save(update_fields=["display_name", "email", "languages"])
        # allauth resets passwords by any address on file: a replaced address
        # must stop working at once, or its mailbox keeps control of the account.
        EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()
        record_change(acting_user, user, before, _user_state(user), request=request)
        _recheck_user(acting_user, user)
        return user


def do_set_active(
    user: User, active: bool, *, acting_user: User, request: HttpRequest | None = None
) -> User:
    """Deactivate (and sign out everywhere) or reactivate an account."""
    with transaction.atomic():
        if user.pk == acting_user.pk:
            raise ValidationError(_("You cannot deactivate your own account."))
        scope = fresh_scope(acting_user)
        user = _lock_account(scope, user)
        if user.is_active == active:
            return user
        before = _user_state(user, "session_version")
        User.objects.filter(pk=user.pk).update(
            is_active=active, session_version=F("session_version") + (0 if active else 1)
        )
        user.refresh_from_db(fields=["is_active", "session_version"])
        after = _user_state(user, "session_version")
        record_change(
            acting_user, user, before, after, action=Action.PERMISSION_CHANGE, request=request
        )
        _recheck_user(acting_user, user)
        return user


def do_logout_everywhere(
    user: User, *, acting_user: User, request: HttpRequest | None = None
) -> User:
    """End every session of ``user``: their sessions' stored hash stops matching."""
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        user = _lock_account(scope, user)
        before = snapshot(user, ["session_version"])
        # F(): two administrators pressing the button at once both count.
        User.objects.filter(pk=user.pk).update(session_version=F("session_version") + 1)
        user.refresh_from_db(fields=["session_version"])
        record_change(
            acting_user,
            user,
            before,
            snapshot(user, ["session_version"]),
            action=Action.PERMISSION_CHANGE,
            reason="log out everywhere",
            request=request,
        )
        _recheck_user(acting_user, user)
        return user


def do_reset_mfa(
    user: User, *, acting_user: User, reason: str, request: HttpRequest | None = None
) -> list[str]:
    """Remove every second factor of ``user``; they enrol a new one at next sign-in.

    Their sessions end too: a factor is reset because it was lost or
    compromised, and a session opened with it should not outlive it.
    """
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the second factor is being reset.")})
    if user.pk == acting_user.pk:
        # Otherwise a stolen administrator session could strip its own account's MFA.
        raise ValidationError(_("Ask another administrator to reset your own second factor."))
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        user = _lock_account(scope, user)
        removed = mfa.remove_all(user)
        User.objects.filter(pk=user.pk).update(session_version=F("session_version") + 1)
        record(
            Action.MFA,
            actor=acting_user,
            obj=user,
            request=request,
            reason=reason.strip(),
            payload={"reset": {"removed": removed}, "sessions_ended": True},
        )
        _recheck_user(acting_user, user)
        return removed


def do_issue_password_link(
    user: User, *, acting_user: User, request: HttpRequest | None = None
) -> str:
    """A new password-set link for an account whose password was never set."""
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        user = _lock_account(scope, user)
        if user.has_usable_password():
            # A link for an account in use would let its administrator sign in as its owner.
            raise ValidationError(_("This user has already set a password."))
        record(
            Action.PERMISSION_CHANGE,
            actor=acting_user,
            obj=user,
            request=request,
            reason="password-set link issued",
        )
        _recheck_user(acting_user, user)
        return _password_path(user)


# --- Memberships ---------------------------------------------------------------------


def do_add_membership(
    user: User, grant: Grant, *, acting_user: User, request: HttpRequest | None = None
) -> Membership:
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        user = _lock_user(scope, user)
        if user.pk == acting_user.pk:
            # Separation of duties: nobody grants themselves access to records.
            raise ValidationError(
                _("You cannot add a role to your own account: ask another user administrator.")
            )
        _check_grant(scope, grant)
        membership = _add_membership(user, grant, acting_user=acting_user, request=request)
        _recheck_jurisdiction(acting_user, grant.jurisdiction)
        return membership


def do_remove_membership(
    membership: Membership, *, acting_user: User, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        membership = _lock_membership(scope, membership)
        _check_removable(scope, membership, acting_user)
        record_change(
            acting_user,
            membership,
            _membership_state(membership),
            {},
            action=Action.PERMISSION_CHANGE,
            request=request,
        )
        membership.delete()
        # The administrator must still administer something after the write.
        fresh_scope(acting_user)


def do_move_membership(
    membership: Membership,
    team: Team | None,
    *,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Membership:
    """Put a membership in another team of its jurisdiction, or in none."""
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        membership = _lock_membership(scope, membership)
        if team is not None and team.jurisdiction_id != membership.jurisdiction_id:
            raise ValidationError({"team": _("Choose a team of the same jurisdiction.")})
        before = _membership_state(membership)
        membership.team = team
        membership.save(update_fields=["team", "updated_at"])
        record_change(
            acting_user,
            membership,
            before,
            _membership_state(membership),
            action=Action.PERMISSION_CHANGE,
            request=request,
        )
        _recheck_jurisdiction(acting_user, membership.jurisdiction)
        return membership


# --- Teams ---------------------------------------------------------------------------


def do_create_team(
    jurisdiction: Jurisdiction,
    name: str,
    languages: Iterable[str] = (),
    *,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Team:
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        if not scope.covers(jurisdiction.pk):
            raise OutOfScope
        _check_team_name(jurisdiction, name)
        team = Team.objects.create(
            jurisdiction=jurisdiction, name=name, languages=_language_codes(languages)
        )
        record_change(
            acting_user,
            team,
            {},
            snapshot(team, TEAM_FIELDS),
            action=Action.CREATE,
            request=request,
        )
        _recheck_jurisdiction(acting_user, jurisdiction)
        return team


def do_update_team(
    team: Team,
    jurisdiction: Jurisdiction,
    name: str,
    languages: Iterable[str] = (),
    *,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Team:
    with transaction.atomic():
        scope = fresh_scope(acting_user)
        team = _lock_team(scope, team)
        if not scope.covers(jurisdiction.pk):
            raise OutOfScope
        if jurisdiction.pk != team.jurisdiction_id and team.memberships.exists():
            # A team's members hold their roles in the team's jurisdiction.
            raise ValidationError(
                {"jurisdiction": _("Move the team's members out before changing its jurisdiction.")}
            )
        _check_team_name(jurisdiction, name, exclude=team)
        before = snapshot(team, TEAM_FIELDS)
        team.jurisdiction, team.name = jurisdiction, name
        team.languages = _language_codes(languages)
        team.save(update_fields=["jurisdiction", "name", "languages", "updated_at"])
        record_change(acting_user, team, before, snapshot(team, TEAM_FIELDS), request=request)
        _recheck_jurisdiction(acting_user, jurisdiction)
        return team


# --- Checks ----------------------------------------------------------------------------


def _lock_user(scope: AdminScope, user: User) -> User:
    """The account, locked for this transaction, if it is (still) in reach."""
    locked = scope.users().select_for_update().filter(pk=user.pk).first()
    if locked is None:
        raise OutOfScope
    return locked


def _lock_account(scope: AdminScope, user: User) -> User:
    """The account, locked, if every one of its memberships is in reach."""
    locked = _lock_user(scope, user)
    if scope.memberships_elsewhere(locked):
        raise ValidationError(
            _(
                "This user also holds roles outside the jurisdictions you administer: "
                "only an administrator of all of them can change the account itself."
            )
        )
    return locked


def _lock_membership(scope: AdminScope, membership: Membership) -> Membership:
    _lock_user(scope, membership.user)
    locked = (
        scope.memberships()
        .select_related("user", "jurisdiction", "team")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None:
        raise OutOfScope
    return locked


def _lock_team(scope: AdminScope, team: Team) -> Team:
    locked = scope.teams().select_for_update().filter(pk=team.pk).first()
    if locked is None:
        raise OutOfScope
    return locked


def _check_grant(scope: AdminScope, grant: Grant) -> None:
    if not scope.covers(grant.jurisdiction.pk):
        raise OutOfScope
    if grant.role not in Role.values:
        raise ValidationError({"role": _("Choose a role from the list.")})
    if grant.role == Role.STATE_ADMIN and grant.jurisdiction.kind != JurisdictionKind.STATE:
        raise ValidationError({"role": _("A state administrator works at the state level.")})
    if grant.team is not None and grant.team.jurisdiction_id != grant.jurisdiction.pk:
        raise ValidationError({"team": _("Choose a team of the jurisdiction of the role.")})


def _check_removable(scope: AdminScope, membership: Membership, acting_user: User) -> None:
    others = Membership.objects.filter(user=membership.user_id).exclude(pk=membership.pk)
    own_admin_role = membership.user_id == acting_user.pk and role_grants(
        membership.role, CAPABILITY
    )
    if own_admin_role and not any(
        role_grants(role, CAPABILITY) for role in others.values_list("role", flat=True)
    ):
        raise ValidationError(
            _("This is your last administrator role: another administrator must remove it.")
        )
    if not scope.state_level and not others.exists():
        # A user without any role is only within reach of the state's administrators.
        raise ValidationError(
            _(
                "This is the user's last role. Deactivate the account instead, "
                "or ask a state administrator."
            )
        )


def _check_username(username: str) -> None:
    try:
        validate_username(username)
    except ValidationError as error:
        raise ValidationError({"username": error.messages}) from error


def _check_unique(
    *, username: str | None = None, email: str = "", exclude: User | None = None
) -> None:
    others = User.objects.exclude(pk=exclude.pk) if exclude else User.objects.all()
    errors: dict[str, str] = {}
    if username is not None and others.filter(username__iexact=username).exists():
        errors["username"] = _("This username is taken.")
    # Password resets go by email: two accounts on one address would share one mailbox's key.
    if email and others.filter(email__iexact=email).exists():
        errors["email"] = _("Another account uses this email address.")
    if errors:
        raise ValidationError(errors)


def _check_team_name(jurisdiction: Jurisdiction, name: str, exclude: Team | None = None) -> None:
    teams = Team.objects.filter(jurisdiction=jurisdiction, name__iexact=name)
    if exclude is not None:
        teams = teams.exclude(pk=exclude.pk)
    if teams.exists():
        raise ValidationError({"name": _("This jurisdiction already has a team of that name.")})


def _recheck_jurisdiction(acting_user: User, jurisdiction: Jurisdiction) -> None:
    if not fresh_scope(acting_user).covers(jurisdiction.pk):
        raise OutOfScope


def _recheck_user(acting_user: User, user: User) -> None:
    if not fresh_scope(acting_user).users().filter(pk=user.pk).exists():
        raise OutOfScope


# --- Helpers ---------------------------------------------------------------------------


def _add_membership(
    user: User, grant: Grant, *, acting_user: User, request: HttpRequest | None
) -> Membership:
    held = Membership.objects.filter(user=user, jurisdiction=grant.jurisdiction, role=grant.role)
    if held.exists():
        raise ValidationError({"role": _("The user already holds this role in this jurisdiction.")})
    membership = Membership.objects.create(
        user=user, jurisdiction=grant.jurisdiction, role=grant.role, team=grant.team
    )
    record_change(
        acting_user,
        membership,
        {},
        _membership_state(membership),
        action=Action.PERMISSION_CHANGE,
        request=request,
    )
    return membership


def _profile_fields(profile: Profile) -> dict[str, Any]:
    return {
        "display_name": profile.display_name.strip(),
        "email": profile.email.strip().lower(),
        "languages": _language_codes(profile.languages),
    }


def _language_codes(codes: Iterable[str]) -> str:
    chosen = set(codes)
    unknown = chosen - set(LANGUAGE_NAMES)
    if unknown:
        raise ValidationError({"languages": _("Choose languages from the list.")})
    # Stored in the list's order, so the same choice always reads the same.
    return ",".join(code for code in LANGUAGE_NAMES if code in chosen)


def _user_state(user: User, *extra: str) -> dict[str, Any]:
    return snapshot(user, [*USER_FIELDS, *extra])


def _membership_state(membership: Membership) -> dict[str, Any]:
    return snapshot(membership, MEMBERSHIP_FIELDS)


def _password_path(user: User) -> str:
    """allauth's "set a new password" address for ``user``.

    Built exactly as allauth builds its reset emails: its own token generator
    (which also hashes the user's email addresses) and a base-36 user id. The
    token hashes the unusable password too, so the link stops working once
    the user has set a password, when the email changes, or after
    ``PASSWORD_RESET_TIMEOUT``.
    """
    key = default_token_generator.make_token(user)
    return reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": key},
    )
