"""The case's dates the interview decides: onset, asymptomatic, isolation.

Every period comes from the case's disease profile through the rule engine
(``isolation_end``, ``infectious_period``, ``exposure_quarantine_end``),
never from constants here. When the onset or the asymptomatic flag changes,
the isolation dates follow, and so do the quarantine ends of household
contacts still living with the case (their quarantine counts from the end of
the case's isolation).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from epitrace.audit.services import record_change, snapshot
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.diseases.rules import InfectiousPeriod, ProfileError
from epitrace.diseases.rules.records import (
    case_infectious_period,
    case_isolation_end,
    case_onset,
    exposure_quarantine_end,
)

CASE_DATES = ("onset_date", "asymptomatic", "isolation_start", "isolation_end")
# A plausibility bound for typed dates, not a clinical rule: an onset more
# than a year before the report is a typing slip (a year field half typed).
PLAUSIBLE_DAYS_BEFORE_REPORT = 366


def infectious_period_of(case: Case) -> InfectiousPeriod | None:
    """The case's infectious period by its profile; None when no date or rule decides it."""
    try:
        return case_infectious_period(case)
    except (ProfileError, ValueError):
        return None


def parse_date(text: Any) -> dt.date | None:
    """An ISO date, or None for an empty or malformed value."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def onset_problem(case: Case, onset: dt.date) -> str | None:
    """Why ``onset`` cannot be the case's onset date, or None."""
    today = timezone.localdate()
    if onset > today:
        return _("The onset date cannot be in the future.")
    earliest = case.report_date - dt.timedelta(days=PLAUSIBLE_DAYS_BEFORE_REPORT)
    if onset < earliest:
        return _("The onset date must be within the year before the report (%(day)s).") % {
            "day": case.report_date.isoformat()
        }
    return None


def draft_onset(case: Case, data: dict[str, Any]) -> tuple[bool, dt.date | None, str | None]:
    """(asymptomatic, onset, problem) as the draft states them."""
    asymptomatic = bool(data.get("asymptomatic"))
    raw = data.get("onset_date") or ""
    onset = parse_date(raw)
    if asymptomatic:
        return True, None, None
    if raw and onset is None:
        return False, None, _("Enter a valid date.")
    problem = onset_problem(case, onset) if onset else None
    return False, (None if problem else onset), problem


def do_sync_case_dates(
    case: Case,
    data: dict[str, Any],
    *,
    acting_user: Any,
    request: HttpRequest | None = None,
) -> str | None:
    """Give the case the draft's onset and asymptomatic flag, and their isolation dates.

    Returns why the onset could not be used (the case is then left as it was).
    """
    asymptomatic, onset, problem = draft_onset(case, data)
    if problem:
        return problem
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        before = snapshot(locked, CASE_DATES)
        locked.asymptomatic, locked.onset_date = asymptomatic, onset
        _isolation(locked)
        after = snapshot(locked, CASE_DATES)
        if after == before:
            return None
        locked.save(update_fields=[*CASE_DATES, "updated_at"])
        record_change(acting_user, locked, before, after, request=request, reason="interview")
        refresh_ongoing_quarantines(locked, acting_user=acting_user, request=request)
    for name in CASE_DATES:
        setattr(case, name, getattr(locked, name))
    return None


def _isolation(case: Case) -> None:
    """Isolation from day 0 (onset, else specimen) to the end the profile gives."""
    try:
        end = case_isolation_end(case)
    except ProfileError:
        return  # no profile: the dates staff recorded stay
    if end is None:
        return  # ended on clinical criteria only: no date to set
    case.isolation_start = case_onset(case) or case.specimen_date
    case.isolation_end = end


def refresh_ongoing_quarantines(
    case: Case, *, acting_user: Any, request: HttpRequest | None = None
) -> int:
    """Recompute the quarantine end of the case's contacts still exposed (households)."""
    changed = 0
    for exposure in Exposure.objects.filter(case=case, ongoing=True).select_for_update():
        exposure.case = case
        before = snapshot(exposure, ["quarantine_end"])
        exposure.quarantine_end = quarantine_end_or_none(exposure)
        after = snapshot(exposure, ["quarantine_end"])
        if after != before:
            exposure.save(update_fields=["quarantine_end", "updated_at"])
            record_change(acting_user, exposure, before, after, request=request, reason="rules")
            changed += 1
    return changed


def quarantine_end_or_none(exposure: Exposure) -> dt.date | None:
    try:
        return exposure_quarantine_end(exposure)
    except ProfileError:
        return None
