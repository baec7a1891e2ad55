"""What the priority score and the routing need, read for many records at once.

Every function here runs a fixed number of queries whatever the number of
records (the lab import calls them once per batch of up to 2,000 messages and
must keep 5,000 messages per second, so round trips are counted): the case
rows come with their person's birth date and language, their profile's
priority weights (only those keys of the JSON) and the queue their
jurisdiction is handed over to, if any; one more query reads the settings of
the exposures around the cases' persons.

A case's risk factors come from what the records hold today: the person's
birth date, and the settings of the exposures around the person (a contact
elicited at a school means the case attends one; a person exposed in a
congregate setting lives or works in one). The interview will add its own
answers later through the same dataclass.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Subquery, Value

from epitrace.cases.models import Case
from epitrace.contacts.choices import Relation, Setting
from epitrace.contacts.models import Exposure
from epitrace.queues.models import QueueHandover
from epitrace.queues.scoring import DEFAULT_WEIGHTS, Factors, Weights

SCHOOLS: frozenset[str] = frozenset({Setting.SCHOOL, Setting.DAYCARE, Setting.COLLEGE})
# Internal jobs: they see every record they are asked about (no user, no restrict()).
_cases = Case._default_manager
_exposures = Exposure._default_manager
# The profile parameters the score reads.
WEIGHT_KEYS = ("priority", "monitoring_period_days", "quarantine_days")


@dataclass
class CaseFacts:
    pk: int
    status: str
    investigation_status: str
    jurisdiction_id: int
    person_id: int
    language: str
    priority: int
    handover: int | None = None  # the queue the jurisdiction is handed over to
    factors: Factors = field(default_factory=Factors)

    @property
    def queue_id(self) -> int:
        return self.handover or self.jurisdiction_id


@dataclass
class ExposureFacts:
    pk: int
    case_id: int | None  # None: a self-enrolled contact with no known case
    contact_id: int
    jurisdiction_id: int
    case_status: str | None
    monitoring_status: str
    language: str
    handover: int | None = None
    factors: Factors = field(default_factory=Factors)

    @property
    def queue_id(self) -> int:
        return self.handover or self.jurisdiction_id


def case_facts(case_ids: Collection[int]) -> dict[int, CaseFacts]:
    """Facts of the cases ``case_ids`` (missing ids are left out): two queries."""
    if not case_ids:
        return {}
    fields = ["pk", "status", "investigation_status", "jurisdiction_id", "person_id"]
    fields += ["person__preferred_language", "priority", "specimen_date", "report_date"]
    fields += ["person__birth_date", "handover", "profile__key"]
    fields += [f"profile__parameters__{key}" for key in WEIGHT_KEYS]
    rows = list(
        _cases.filter(pk__in=case_ids)
        .annotate(handover=_handover("jurisdiction_id"))
        .order_by()
        .values_list(*fields)
    )
    elicited, exposed = _settings_around({r[0] for r in rows}, {r[4] for r in rows})
    facts = {}
    for pk, status, inv, jur, person, language, priority, specimen, report, born, *rest in rows:
        handover, profile_key, *weights = rest
        mine, around = elicited.get(pk, _NONE), exposed.get(person, _NONE)
        seen = mine.settings | around.settings
        facts[pk] = CaseFacts(
            pk=pk,
            status=status,
            investigation_status=inv,
            jurisdiction_id=jur,
            person_id=person,
            language=language or "en",
            priority=priority,
            handover=handover,
            factors=Factors(
                # Without a specimen date, the report date: the specimen was taken by then.
                anchor=specimen or report,
                birth_date=born,
                congregate=Setting.CONGREGATE in seen,
                healthcare=Setting.HEALTHCARE in seen,
                school=bool(SCHOOLS & seen),
                household_members=mine.household,
                weights=weights_of(profile_key, *weights),
            ),
        )
    return facts


def exposure_facts(exposure_ids: Collection[int]) -> dict[int, ExposureFacts]:
    """Facts of the exposures ``exposure_ids``, scored for their contact: one query."""
    if not exposure_ids:
        return {}
    fields = ["pk", "case_id", "contact_id", "jurisdiction_id", "case__status"]
    fields += ["contact__preferred_language", "last_exposure_date", "contact__birth_date"]
    fields += ["setting", "monitoring_status", "handover", "case__profile__key"]
    fields += [f"case__profile__parameters__{key}" for key in WEIGHT_KEYS]
    rows = (
        _exposures.filter(pk__in=exposure_ids)
        .annotate(handover=_handover("jurisdiction_id"))
        .order_by()
        .values_list(*fields)
    )
    facts = {}
    for pk, case, contact, jur, case_status, language, last, born, setting, *rest in rows:
        monitoring, handover, profile_key, *weights = rest
        facts[pk] = ExposureFacts(
            pk=pk,
            case_id=case,
            contact_id=contact,
            jurisdiction_id=jur,
            case_status=case_status,
            monitoring_status=monitoring,
            language=language or "en",
            handover=handover,
            factors=Factors(
                anchor=last,
                birth_date=born,
                congregate=setting == Setting.CONGREGATE,
                healthcare=setting == Setting.HEALTHCARE,
                school=setting in SCHOOLS,
                weights=weights_of(profile_key, *weights),
            ),
        )
    return facts


def weights_of(profile_key: str | None, *values: Any) -> Weights:
    """The weights of a profile from the parameters the score reads (validated once)."""
    if profile_key is None:
        return DEFAULT_WEIGHTS
    parameters = {k: v for k, v in zip(WEIGHT_KEYS, values, strict=True) if v is not None}
    return _weights(profile_key, json.dumps(parameters, sort_keys=True))


@functools.lru_cache(maxsize=64)
def _weights(profile_key: str, parameters: str) -> Weights:
    return Weights.from_parameters(json.loads(parameters), profile_key)


def _handover(jurisdiction: str) -> Subquery:
    """The queue an active handover sends this row's jurisdiction to (NULL: none)."""
    active = QueueHandover.objects.filter(
        jurisdiction_id=OuterRef(jurisdiction), ended_at__isnull=True
    )
    return Subquery(active.order_by().values("to_jurisdiction_id")[:1])


@dataclass(frozen=True)
class _Around:
    settings: frozenset[str] = frozenset()
    household: int = 0


_NONE = _Around()


def _settings_around(
    case_ids: set[int], person_ids: set[int]
) -> tuple[dict[int, _Around], dict[int, _Around]]:
    """Settings and household contacts elicited from each case, and where each person was
    exposed as a contact: one query over both."""
    elicited: dict[int, set[str]] = defaultdict(set)
    household: dict[int, int] = defaultdict(int)
    exposed: dict[int, set[str]] = defaultdict(set)
    columns = ("case_id", "contact_id", "setting", "relation")
    # UNION ALL, not OR: each side keeps its own index whatever the planner's statistics.
    from_cases = _exposures.filter(case_id__in=case_ids).annotate(side=Value(0))
    as_contacts = _exposures.filter(contact_id__in=person_ids).annotate(side=Value(1))
    rows = (
        from_cases.order_by()
        .values_list("side", *columns)
        .union(as_contacts.order_by().values_list("side", *columns), all=True)
    )
    for side, case_id, contact_id, setting, relation in rows:
        if side == 0:
            elicited[case_id].add(setting)
            household[case_id] += relation == Relation.HOUSEHOLD
        else:
            exposed[contact_id].add(setting)
    by_case = {pk: _Around(frozenset(s), household[pk]) for pk, s in elicited.items()}
    by_person = {pk: _Around(frozenset(s)) for pk, s in exposed.items()}
    return by_case, by_person


def waiting_hours(since: dt.datetime | None, now: dt.datetime) -> float:
    return 0.0 if since is None else (now - since).total_seconds() / 3600
