"""The home page: one section per role the user holds."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from epitrace.accounts.roles import Role
from epitrace.cases.models import Case
from epitrace.web import dashboard
from epitrace.web.context import navigation_for
from epitrace.web.views.common import HtmxHttpRequest

WORKLOAD_ROLES = frozenset({Role.TRACER, Role.SUPERVISOR, Role.LHD_DIRECTOR})
EPIDEMIOLOGY_ROLES = frozenset({Role.EPIDEMIOLOGIST, Role.ANALYST, Role.LHD_DIRECTOR})
ADMIN_ROLES = frozenset({Role.STATE_ADMIN, Role.USER_ADMIN})
REFERRAL_ROLES = frozenset({Role.CBO_COORDINATOR, Role.OUTREACH})


def home(request: HtmxHttpRequest) -> HttpResponse:
    nav = navigation_for(request)
    roles = nav.roles
    today = timezone.localdate()
    context: dict[str, object] = {"has_membership": bool(nav.memberships), "today": today}
    if not roles:
        context["administrators"] = dashboard.user_administrators()
        return render(request, "web/home.html", context)

    cases = Case.objects.restrict(request.user, "view")
    if roles & WORKLOAD_ROLES:
        context["workload"] = {
            "by_status": dashboard.open_by_investigation(cases),
            "recent_new": dashboard.recent_new_cases(cases),
        }
    if roles & EPIDEMIOLOGY_ROLES:
        curve = dashboard.epi_curve(cases, today=today)
        context["epidemiology"] = {
            "curve": curve,
            "by_classification": dashboard.by_classification(cases, since=curve.first_day),
        }
    if roles & ADMIN_ROLES:
        sees_root = any(m.jurisdiction.is_root for m in nav.memberships if m.role in ADMIN_ROLES)
        context["administration"] = dashboard.admin_figures(request.user, sees_root=sees_root)
    context["referrals_only"] = bool(roles & REFERRAL_ROLES) and not nav.shows_cases
    return render(request, "web/home.html", context)
