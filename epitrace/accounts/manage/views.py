"""User-administration pages. Thin views: scope, parse, call a service, render.

Every view starts with :func:`administers`: without ``accounts.manage_users``
the answer is 404, and a user, membership or team outside the administrator's
scope is looked up through the scope, so it is answered 404 too. Form
actions re-render their page with the errors next to the fields; one-click
actions (deactivate, remove a role...) report through messages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epitrace.accounts.manage import access, querysets, services
from epitrace.accounts.manage.access import AdminScope, admin_scope, fresh_scope
from epitrace.accounts.manage.forms import (
    GrantForm,
    MfaResetForm,
    MoveForm,
    ProfileForm,
    TeamFilterForm,
    TeamForm,
    TeamMemberForm,
    UserCreateForm,
    UserFilterForm,
)
from epitrace.accounts.models import Team, User
from epitrace.web.views.common import HtmxHttpRequest, paginate, render_with_partial

P = ParamSpec("P")
T = TypeVar("T")
ScopedView = Callable[Concatenate[HtmxHttpRequest, AdminScope, P], HttpResponse]

# The password-set link of a new account waits here until its page shows it once.
PASSWORD_LINK_KEY = "epitrace.manage.password_link"  # noqa: S105 - a session key


def administers(view: ScopedView[P]) -> Callable[Concatenate[HtmxHttpRequest, P], HttpResponse]:
    """Give the view the administrator's scope; 404 for anyone without one."""

    @wraps(view)
    def scoped(request: HtmxHttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        return view(request, admin_scope(request.user), *args, **kwargs)

    return scoped


def acting(request: HtmxHttpRequest) -> User:
    # administers() has answered 404 to anyone who is not a signed-in administrator.
    return cast(User, request.user)


def attempt(form: Form, call: Callable[[], T]) -> T | None:
    """The service call's result; None, with the rule it enforces on the form, if refused."""
    try:
        return call()
    except ValidationError as error:
        form.add_error(None, error)
        return None


def act(request: HtmxHttpRequest, call: Callable[[], T], success: str) -> T | None:
    """A one-click action's result, its outcome reported as a message (None if refused)."""
    try:
        result = call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return None
    messages.success(request, success)
    return result


def back(request: HtmxHttpRequest, default: str) -> HttpResponseRedirect:
    """To the page the action was posted from, if it is one of ours."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(target if target and safe else default)


@administers
def index(request: HtmxHttpRequest, scope: AdminScope) -> HttpResponse:
    return redirect("manage:user_list")


# --- Users ---------------------------------------------------------------------------


@administers
def user_list(request: HtmxHttpRequest, scope: AdminScope) -> HttpResponse:
    form = UserFilterForm(request.GET or None, scope=scope)
    users = querysets.user_rows(scope, form.filter(scope.users()))
    context = {"form": form, "page": paginate(request, users), "scope": scope}
    return render_with_partial(request, "manage/user_list.html", context, "results")


@administers
def user_create(request: HtmxHttpRequest, scope: AdminScope) -> HttpResponse:
    form = UserCreateForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        admin = acting(request)
        account = attempt(
            form,
            lambda: services.do_create_user(
                form.cleaned_data["username"],
                form.profile(),
                form.grant(),
                acting_user=admin,
                request=request,
            ),
        )
        if account is not None:
            remember_link(request, account.user, account.password_path)
            return redirect("manage:user_detail", account.user.pk)
    return render(request, "manage/user_create.html", {"form": form})


@administers
def user_detail(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    """The account page; a POST saves the profile (name, email, languages)."""
    user = access.get_user(scope, pk)
    form = ProfileForm(
        request.POST or None, initial=ProfileForm.initial_for(user), prefix="profile"
    )
    if request.method == "POST" and form.is_valid():
        admin = acting(request)
        if (
            attempt(
                form,
                lambda: services.do_update_user(
                    user, form.profile(), acting_user=admin, request=request
                ),
            )
            is not None
        ):
            messages.success(request, _("Account details saved."))
            return redirect("manage:user_detail", user.pk)
    return render_user(request, scope, user, profile_form=form)


@administers
@require_POST
def membership_add(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    user = access.get_user(scope, pk)
    form = GrantForm(request.POST, scope=scope, prefix="grant")
    if form.is_valid():
        admin = acting(request)
        if (
            attempt(
                form,
                lambda: services.do_add_membership(
                    user, form.grant(), acting_user=admin, request=request
                ),
            )
            is not None
        ):
            messages.success(request, _("Role added."))
            return redirect("manage:user_detail", user.pk)
    return render_user(request, scope, user, grant_form=form)


@administers
@require_POST
def user_deactivate(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    return _set_active(request, scope, pk, active=False)


@administers
@require_POST
def user_reactivate(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    return _set_active(request, scope, pk, active=True)


def _set_active(
    request: HtmxHttpRequest, scope: AdminScope, pk: int, *, active: bool
) -> HttpResponse:
    user = access.get_user(scope, pk)
    done = _("Account reactivated.") if active else _("Account deactivated and signed out.")
    admin = acting(request)
    act(
        request,
        lambda: services.do_set_active(user, active, acting_user=admin, request=request),
        done,
    )
    return redirect("manage:user_detail", user.pk)


@administers
@require_POST
def user_logout_everywhere(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    user = access.get_user(scope, pk)
    admin = acting(request)
    act(
        request,
        lambda: services.do_logout_everywhere(user, acting_user=admin, request=request),
        _("Every session of this user has ended."),
    )
    return redirect("manage:user_detail", user.pk)


@administers
@require_POST
def user_mfa_reset(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    user = access.get_user(scope, pk)
    form = MfaResetForm(request.POST, prefix="mfa")
    if form.is_valid():
        admin, reason = acting(request), form.cleaned_data["reason"]
        if (
            attempt(
                form,
                lambda: services.do_reset_mfa(
                    user, acting_user=admin, reason=reason, request=request
                ),
            )
            is not None
        ):
            messages.success(
                request, _("Second factor reset: the user sets up a new one at next sign-in.")
            )
            return redirect("manage:user_detail", user.pk)
    return render_user(request, scope, user, mfa_form=form)


@administers
@require_POST
def user_password_link(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    user = access.get_user(scope, pk)
    admin = acting(request)
    link = act(
        request,
        lambda: services.do_issue_password_link(user, acting_user=admin, request=request),
        _("New password-set link issued."),
    )
    if link is not None:
        remember_link(request, user, link)
    return redirect("manage:user_detail", user.pk)


def render_user(
    request: HtmxHttpRequest,
    scope: AdminScope,
    user: User,
    *,
    profile_form: ProfileForm | None = None,
    grant_form: GrantForm | None = None,
    mfa_form: MfaResetForm | None = None,
) -> HttpResponse:
    context = {
        "account": querysets.account(scope, user),
        "target": user,
        "is_self": user.pk == request.user.pk,
        "scope": scope,
        "profile_form": profile_form
        or ProfileForm(initial=ProfileForm.initial_for(user), prefix="profile"),
        "grant_form": grant_form or GrantForm(scope=scope, prefix="grant"),
        "mfa_form": mfa_form or MfaResetForm(prefix="mfa"),
        "password_link": take_link(request, user),
    }
    return render(request, "manage/user_detail.html", context)


def remember_link(request: HtmxHttpRequest, user: User, path: str) -> None:
    request.session[PASSWORD_LINK_KEY] = {"user": user.pk, "url": request.build_absolute_uri(path)}


def take_link(request: HtmxHttpRequest, user: User) -> str | None:
    """The password-set link waiting for ``user``'s page, removed as it is shown."""
    waiting = request.session.get(PASSWORD_LINK_KEY)
    if not waiting or waiting.get("user") != user.pk:
        return None
    del request.session[PASSWORD_LINK_KEY]
    return str(waiting["url"])


# --- Memberships -----------------------------------------------------------------------


@administers
@require_POST
def membership_remove(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    membership = access.get_membership(scope, pk)
    user, admin = membership.user, acting(request)
    act(
        request,
        lambda: services.do_remove_membership(membership, acting_user=admin, request=request),
        _("Role removed."),
    )
    # The user may now be out of reach (their last role in these jurisdictions).
    if fresh_scope(admin).users().filter(pk=user.pk).exists():
        return redirect("manage:user_detail", user.pk)
    return redirect("manage:user_list")


@administers
@require_POST
def membership_move(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    membership = access.get_membership(scope, pk)
    teams = scope.teams().filter(jurisdiction_id=membership.jurisdiction_id)
    form = MoveForm(request.POST, teams=teams)
    if form.is_valid():
        team, admin = form.cleaned_data["team"], acting(request)
        act(
            request,
            lambda: services.do_move_membership(
                membership, team, acting_user=admin, request=request
            ),
            _("Team changed."),
        )
    else:
        messages.error(request, _("Choose a team of the same jurisdiction."))
    return back(request, reverse("manage:user_detail", args=[membership.user_id]))


# --- Teams ---------------------------------------------------------------------------


@administers
def team_list(request: HtmxHttpRequest, scope: AdminScope) -> HttpResponse:
    form = TeamFilterForm(request.GET or None, scope=scope)
    page = paginate(request, querysets.team_rows(scope, form.filter(scope.teams())))
    page.object_list = [
        querysets.TeamRow(team, querysets.language_names(team.languages))
        for team in page.object_list
    ]
    context = {"form": form, "page": page}
    return render_with_partial(request, "manage/team_list.html", context, "results")


@administers
def team_create(request: HtmxHttpRequest, scope: AdminScope) -> HttpResponse:
    form = TeamForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        data, admin = form.cleaned_data, acting(request)
        team = attempt(
            form,
            lambda: services.do_create_team(
                data["jurisdiction"],
                data["name"],
                data["languages"],
                acting_user=admin,
                request=request,
            ),
        )
        if team is not None:
            messages.success(request, _("Team created."))
            return redirect("manage:team_detail", team.pk)
    return render(request, "manage/team_form.html", {"form": form})


@administers
def team_detail(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    """The team page; a POST saves its name, jurisdiction and languages."""
    team = access.get_team(scope, pk)
    form = TeamForm(
        request.POST or None, initial=TeamForm.initial_for(team), scope=scope, prefix="team"
    )
    if request.method == "POST" and form.is_valid():
        data, admin = form.cleaned_data, acting(request)
        if (
            attempt(
                form,
                lambda: services.do_update_team(
                    team,
                    data["jurisdiction"],
                    data["name"],
                    data["languages"],
                    acting_user=admin,
                    request=request,
                ),
            )
            is not None
        ):
            messages.success(request, _("Team saved."))
            return redirect("manage:team_detail", team.pk)
    return render_team(request, scope, team, team_form=form)


@administers
@require_POST
def team_member_add(request: HtmxHttpRequest, scope: AdminScope, pk: int) -> HttpResponse:
    team = access.get_team(scope, pk)
    form = TeamMemberForm(request.POST, team=team, prefix="member")
    if form.is_valid():
        membership, admin = form.cleaned_data["membership"], acting(request)
        if (
            attempt(
                form,
                lambda: services.do_move_membership(
                    membership, team, acting_user=admin, request=request
                ),
            )
            is not None
        ):
            messages.success(request, _("Added to the team."))
            return redirect("manage:team_detail", team.pk)
    return render_team(request, scope, team, member_form=form)


def render_team(
    request: HtmxHttpRequest,
    scope: AdminScope,
    team: Team,
    *,
    team_form: TeamForm | None = None,
    member_form: TeamMemberForm | None = None,
) -> HttpResponse:
    context = {
        "team": team,
        "language_names": querysets.language_names(team.languages),
        "members": querysets.team_members(team),
        # Listed once, offered on every member's row.
        "sibling_teams": list(
            scope.teams().filter(jurisdiction_id=team.jurisdiction_id).order_by("name")
        ),
        "team_form": team_form
        or TeamForm(initial=TeamForm.initial_for(team), scope=scope, prefix="team"),
        "member_form": member_form or TeamMemberForm(team=team, prefix="member"),
    }
    return render(request, "manage/team_detail.html", context)
