"""Roles and what each may do: the one table of capabilities.

A capability is ``<app>.<action>_<model>`` for personal-data records (the
string :meth:`RestrictedQuerySet.restrict` asks for) or a named power such as
``accounts.manage_users``. A membership grants its role's capabilities over
the membership's jurisdiction subtree, never beyond it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TRACER = "tracer", _("Contact tracer / case investigator")
    SUPERVISOR = "supervisor", _("Supervisor / team lead")
    EPIDEMIOLOGIST = "epidemiologist", _("Epidemiologist")
    LHD_DIRECTOR = "lhd_director", _("Local health director")
    STATE_ADMIN = "state_admin", _("State administrator")
    USER_ADMIN = "user_admin", _("User administrator")
    CBO_COORDINATOR = "cbo_coordinator", _("Community resource coordinator")
    OUTREACH = "outreach", _("Community outreach specialist")
    ANALYST = "analyst", _("Read-only analyst")


# Personal-data models and the actions on them.
_RECORDS = (
    "people.person",
    "people.contactpoint",
    "people.personidentifier",
    "cases.case",
    "contacts.exposure",
    "labs.labresult",
    "labs.rawmessage",
    "queues.workitem",
    "interviews.interview",
    "interviews.callattempt",
    "outreach.outboxmessage",
    "outreach.inboundmessage",
    "outreach.checkinanswer",
)


def _caps(actions: tuple[str, ...], models_: tuple[str, ...] = _RECORDS) -> frozenset[str]:
    caps: set[str] = set()
    for label in models_:
        app, model = label.split(".")
        caps.update(f"{app}.{action}_{model}" for action in actions)
    return frozenset(caps)


_READ = _caps(("view",))
_WORK = _caps(("view", "add", "change"))
_ALL = _caps(("view", "add", "change", "delete"))

# Access beyond the tree: share a record with another jurisdiction, move it
# (a change of address), open one record outside one's reach (break-glass).
_ACCESS = frozenset({"access.share", "access.transfer"})
# Merging two persons mixes their health records if it is wrong: supervisors and up.
_MERGE = frozenset({"people.merge_person"})
# Disease profiles hold the rules every jurisdiction follows (held at the state to change).
_PROFILES = frozenset({"diseases.change_profile"})

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.TRACER: _WORK,
    Role.SUPERVISOR: _WORK | _ACCESS | _MERGE | {"workqueues.assign", "outreach.view_log"},
    Role.EPIDEMIOLOGIST: _WORK
    | _ACCESS
    | _MERGE
    | _PROFILES
    | {"reports.export", "access.break_glass"},
    Role.LHD_DIRECTOR: _WORK
    | _ACCESS
    | _MERGE
    | {
        "reports.export",
        "workqueues.assign",
        "access.break_glass",
        "audit.view_audit",
        "outreach.view_log",
        "wording.change_wording",
    },
    Role.STATE_ADMIN: _ALL
    | _ACCESS
    | _MERGE
    | _PROFILES
    | {
        "reports.export",
        "workqueues.assign",
        "accounts.manage_users",
        "access.break_glass",
        "audit.view_audit",
        "letters.change_template",
        "outreach.view_log",
        "wording.change_wording",
    },
    Role.USER_ADMIN: frozenset({"accounts.manage_users", "wording.change_wording"}),
    # Referral-only roles: they reach no case or person record directly.
    Role.CBO_COORDINATOR: frozenset({"referrals.view_referral", "referrals.change_referral"}),
    Role.OUTREACH: frozenset({"referrals.view_referral"}),
    Role.ANALYST: _READ | {"reports.export"},
}


def role_grants(role: str, capability: str) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())
