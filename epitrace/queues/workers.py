"""Who works which queue: a tracer's queues, teams and languages.

A user works the queues of the jurisdictions where a membership grants them
``queues.change_workitem`` (tracers, supervisors, epidemiologists, directors),
for their teams' items and untargeted ones, in the languages they speak:
``User.languages``, and the ``Team.languages`` of their teams (a team that
answers a language line covers that language); none listed means English, the
system's language. The items must also lie within their restricted scope
(``restrict()``), so a misrouted item can never reach someone who may not see it.

The state's tracers work the state's queue: cases whose residence is unknown,
items a supervisor sent to the state pool, and whole LHD queues handed over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from epitrace.accounts.memberships import active_memberships
from epitrace.accounts.roles import role_grants

WORK_CAPABILITY = "queues.change_workitem"


@dataclass(frozen=True)
class Worker:
    user: Any
    queues: frozenset[int]
    teams: frozenset[int]
    languages: tuple[str, ...]

    @property
    def works(self) -> bool:
        return bool(self.queues)


def worker_for(user: Any) -> Worker:
    """The queues, teams and languages of ``user`` (the request's memberships, kept on the user)."""
    cached = user.__dict__.get("_epitrace_worker")
    if isinstance(cached, Worker):
        return cached
    queues: set[int] = set()
    teams: set[int] = set()
    codes: list[str] = []
    if getattr(user, "is_authenticated", False) and not getattr(user, "is_system", False):
        # The request's one read of the memberships, shared with the scope checks and menus.
        for membership in active_memberships(user):
            if role_grants(membership.role, WORK_CAPABILITY):
                queues.add(membership.jurisdiction_id)
                team = membership.team
                if team is not None:
                    teams.add(team.pk)
                    codes += _codes(team.languages)
    codes = list(getattr(user, "language_codes", None) or [settings.LANGUAGE_CODE]) + codes
    worker = Worker(user, frozenset(queues), frozenset(teams), tuple(dict.fromkeys(codes)))
    user.__dict__["_epitrace_worker"] = worker
    return worker


def _codes(languages: str | None) -> list[str]:
    return [code.strip() for code in (languages or "").split(",") if code.strip()]
