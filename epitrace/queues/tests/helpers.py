"""Small builders for the queue tests: cases with their items, tracers with languages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from epitrace.accounts.models import Team, User
from epitrace.cases.models import Case
from epitrace.cases.priority import recompute_priority
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.queues.choices import Kind
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f


def case_item(
    jurisdiction: Jurisdiction, *, days_ago: int = 1, language: str = "en", **person: Any
) -> WorkItem:
    """An open case in ``jurisdiction`` and the investigation item the hook gives it."""
    today = timezone.localdate()
    who = f.PersonFactory.create(
        jurisdiction=jurisdiction,
        preferred_language=language,
        birth_date=today - dt.timedelta(days=40 * 365),
        **person,
    )
    case: Case = f.CaseFactory.create(
        person=who,
        report_date=today - dt.timedelta(days=days_ago),
        specimen_date=today - dt.timedelta(days=days_ago),
    )
    recompute_priority([case.pk])
    return WorkItem.objects.get(case=case, kind=Kind.INVESTIGATION)


def tracer(
    jurisdiction: Jurisdiction,
    username: str,
    *,
    languages: str = "en",
    team: Team | None = None,
    role: str = "tracer",
) -> User:
    user: User = f.UserFactory.create(username=username, languages=languages)
    f.MembershipFactory.create(user=user, jurisdiction=jurisdiction, role=role, team=team)
    return user


def fresh(user: User) -> User:
    """The user without the scope and worker caches of earlier calls."""
    return User.objects.get(pk=user.pk)
