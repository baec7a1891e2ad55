"""The priority score of a work item: who to call first.

domain.md's order is: most recent specimen first, within the window in which
tracing still helps; then risk (age 65+, congregate setting, healthcare,
school, household size); then waiting time. The score is a weighted sum
whose default weights keep that order: a day of specimen recency (100)
outweighs every risk factor together (at most 90), and a risk factor
outweighs most of the waiting bonus. Contacts are scored the same way, with
the last exposure date in place of the specimen date.

The weights belong to the disease profile (``parameters["priority"]``);
any weight a profile does not give takes the default below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from epitrace.queues.choices import Kind


@dataclass(frozen=True)
class Weights:
    """Points per factor; a profile's ``priority`` block overrides any of them."""

    window_days: int = 10  # days after the specimen in which tracing still prevents spread
    contact_window_days: int = 0  # 0: the profile's monitoring, else quarantine, period
    per_day_in_window: int = 100  # per day left in the window
    age_65_plus: int = 25
    congregate_setting: int = 20
    healthcare_setting: int = 15
    school_setting: int = 15
    per_household_member: int = 3  # per known household member besides the person
    household_members_cap: int = 5
    per_hour_waiting: int = 1
    waiting_hours_cap: int = 24
    callback_due: int = 1000  # a callback at its time comes before everything else
    due_hours: int = 24  # an item is overdue this long after it was opened (24-hour measure)

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any], profile_key: str = "") -> Weights:
        """The weights of a profile's parameters; a wrong value is a profile error."""
        block = parameters.get("priority") or {}
        if not isinstance(block, Mapping):
            raise ValueError(f"disease profile {profile_key}: 'priority' must be an object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(block) - known)
        if unknown:
            raise ValueError(f"disease profile {profile_key}: unknown priority weights {unknown}")
        values: dict[str, int] = {}
        for name, value in block.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"disease profile {profile_key}: priority weight {name!r} must be a "
                    f"whole number >= 0, got {value!r}"
                )
            values[name] = value
        weights = cls(**values)
        if not weights.contact_window_days:
            period = parameters.get("monitoring_period_days") or parameters.get("quarantine_days")
            window = period if isinstance(period, int) and period > 0 else 14
            weights = dataclasses.replace(weights, contact_window_days=window)
        return weights


DEFAULT_WEIGHTS = Weights.from_parameters({})


@dataclass
class Factors:
    """What the score is made of, for one item, as the records hold it today."""

    anchor: dt.date | None = None  # specimen (case) or last exposure (contact) date
    birth_date: dt.date | None = None
    congregate: bool = False
    healthcare: bool = False
    school: bool = False
    household_members: int = 0  # known members besides the person; 0 when unknown
    weights: Weights = DEFAULT_WEIGHTS


def score(
    factors: Factors, kind: str, *, today: dt.date, waiting_hours: float, contact: bool
) -> int:
    """The item's priority: higher is called first."""
    w = factors.weights
    points = 0
    if factors.anchor is not None:
        window = w.contact_window_days if contact else w.window_days
        days_left = window - max((today - factors.anchor).days, 0)
        points += max(days_left, 0) * w.per_day_in_window
    if factors.birth_date is not None and _age(factors.birth_date, today) >= 65:
        points += w.age_65_plus
    points += w.congregate_setting * factors.congregate
    points += w.healthcare_setting * factors.healthcare
    points += w.school_setting * factors.school
    points += w.per_household_member * min(factors.household_members, w.household_members_cap)
    points += w.per_hour_waiting * int(min(max(waiting_hours, 0.0), w.waiting_hours_cap))
    if kind == Kind.CALLBACK:
        points += w.callback_due
    return points


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
