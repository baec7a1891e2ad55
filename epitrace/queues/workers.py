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

from epitrace.accounts.models import Membership
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
    """The queues, teams and languages of ``user`` (one query, kept on the user object)."""
    cached = user.__dict__.get("_epitrace_worker")
    if isinstance(cached, Worker):
        return cached
    queues: set[int] = set()
    teams: set[int] = set()
    codes: list[str] = []
    if getattr(user, "is_authenticated", False) and not getattr(user, "is_system", False):
        rows = Membership.objects.filter(user=user, user__is_active=True).values_list(
            "jurisdiction_id", "role", "team_id", "team__languages"
        )
        for jurisdiction_id, role, team_id, team_languages in rows:
            if role_grants(role, WORK_CAPABILITY):
                queues.add(jurisdiction_id)
                if team_id is not None:
                    teams.add(team_id)
                    codes += _codes(team_languages)
    codes = list(getattr(user, "language_codes", None) or [settings.LANGUAGE_CODE]) + codes
    worker = Worker(user, frozenset(queues), frozenset(teams), tuple(dict.fromkeys(codes)))
    user.__dict__["_epitrace_worker"] = worker
    return worker


def _codes(languages: str | None) -> list[str]:
    return [code.strip() for code in (languages or "").split(",") if code.strip()]
