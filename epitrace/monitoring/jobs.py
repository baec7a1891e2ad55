"""Daily monitoring's jobs: non-responders to the queue, the end of monitoring.

:func:`open_nonresponder_items` -- a monitoree who has not answered within
the profile's non-reporting interval (24 hours for COVID-19) gets a
follow-up in the queue of their jurisdiction: a monitoring item on the
exposure for a contact, a callback on the case for a case in isolation. A
fixed number of statements per run, whatever the number of monitorees; the
queue's unique indexes keep one active item per record, so a rerun (or a
concurrent one) adds nothing.

:func:`close_ended_monitoring` -- on the end of a contact's monitoring the
exposure closes as completed, when the rule engine agrees (no symptom onset:
a contact who reported symptoms stays open for the tracer who follows them
up); a case's isolation that has ended stops its check-ins (the selection
already leaves it out) once the profile's release rules are met. Each
person then gets one closing message, keyed to the end date, so a rerun
enqueues nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.audit.services import Action, ObjectRef, record_bulk
from epitrace.cases.choices import CaseStatus
from epitrace.cases.models import Case
from epitrace.contacts.choices import MonitoringStatus
from epitrace.contacts.models import Exposure
from epitrace.diseases.rules import (
    Monitoree,
    Report,
    RuleParameters,
    Situation,
    Workflow,
    close_eligible,
    monitoring_complete,
    recovery,
    symptom_onset,
)
from epitrace.diseases.rules.records import lab_inputs
from epitrace.labs.models import LabResult
from epitrace.monitoring.eligibility import first_address, profile_parameters, reached_through
from epitrace.monitoring.selection import profile_rules
from epitrace.outreach.choices import Purpose
from epitrace.outreach.models import CheckInAnswer
from epitrace.outreach.services import OutreachError, enqueue
from epitrace.outreach.window import local_day, zone
from epitrace.people.models import Person
from epitrace.queues.choices import ACTIVE_STATES, Kind
from epitrace.queues.facts import case_facts, exposure_facts
from epitrace.queues.models import WorkItem
from epitrace.queues.sync import case_priority, exposure_priority

# An isolation that ended more than this long ago gets no late closing message.
CLOSING_CATCH_UP_DAYS = 7


@dataclass
class NonResponders:
    exposures: int = 0
    cases: int = 0


def open_nonresponder_items(*, now: dt.datetime | None = None) -> NonResponders:
    """Follow-up items for monitorees without an answer in the non-reporting interval."""
    now = now or timezone.now()
    result = NonResponders()
    with transaction.atomic():
        for pk, params in profile_rules().items():
            since = now - dt.timedelta(hours=params.non_reporting_interval_hours)
            result.exposures += _exposure_items(_silent_exposures(pk, since, now), now)
            result.cases += _case_items(_silent_cases(pk, since, now), now)
    return result


def _answered_since(path: str, since: dt.datetime) -> Exists:
    return Exists(CheckInAnswer.objects.filter(person_id=OuterRef(path), received_at__gte=since))


def _profile_q(pk: int, prefix: str) -> Q:
    """Records on profile version ``pk``: their case's, else the one in force on its date."""
    from epitrace.diseases.models import DiseaseProfile

    in_force = DiseaseProfile.objects.filter(
        disease_id=OuterRef(f"{prefix}disease_id"),
        effective_from__lte=OuterRef(f"{prefix}report_date"),
        pk=pk,
    ).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=OuterRef(f"{prefix}report_date")))
    return Q(**{f"{prefix}profile_id": pk}) | Q(
        Q(**{f"{prefix}profile__isnull": True}) & Q(Exists(in_force))
    )


def _silent_exposures(pk: int, since: dt.datetime, now: dt.datetime) -> list[int]:
    rows = (
        Exposure.objects.filter(
            _profile_q(pk, "case__"),
            monitoring_status=MonitoringStatus.MONITORING,
            created_at__lte=since,  # enrolled for a whole interval: they were asked
            contact__deceased_date__isnull=True,
            contact__purged_at__isnull=True,
        )
        .exclude(_answered_since("contact_id", since))
        .exclude(
            Exists(
                WorkItem.objects.filter(
                    exposure_id=OuterRef("pk"), kind=Kind.MONITORING, state__in=ACTIVE_STATES
                )
            )
        )
        .order_by()
        .values_list("pk", flat=True)
    )
    return list(rows)


def _silent_cases(pk: int, since: dt.datetime, now: dt.datetime) -> list[int]:
    today = timezone.localdate(now)
    rows = (
        Case.objects.filter(
            _profile_q(pk, ""),
            status=CaseStatus.OPEN,
            isolation_start__lte=today,
            created_at__lte=since,
            person__deceased_date__isnull=True,
            person__purged_at__isnull=True,
        )
        .filter(Q(isolation_end__isnull=True) | Q(isolation_end__gte=today))
        .exclude(_answered_since("person_id", since))
        .exclude(
            Exists(
                WorkItem.objects.filter(
                    case_id=OuterRef("pk"), kind=Kind.CALLBACK, state__in=ACTIVE_STATES
                )
            )
        )
        .order_by()
        .values_list("pk", flat=True)
    )
    return list(rows)


NOTE = "No answer to the daily check-in."


def _exposure_items(ids: list[int], now: dt.datetime) -> int:
    facts = exposure_facts(ids) if ids else {}
    return _open_items(facts, Kind.MONITORING, "exposure_id", exposure_priority, now)


def _case_items(ids: list[int], now: dt.datetime) -> int:
    facts = case_facts(ids) if ids else {}
    return _open_items(facts, Kind.CALLBACK, "case_id", case_priority, now)


def _open_items(
    facts: Mapping[int, Any],
    kind: str,
    link: str,
    priority: Callable[[Any, str, dt.datetime], int],
    now: dt.datetime,
) -> int:
    """One follow-up item per silent record (``link`` names the record's column)."""
    items = [
        WorkItem(
            kind=kind,
            jurisdiction_id=fact.jurisdiction_id,
            queue_id=fact.queue_id,
            language=fact.language,
            priority=priority(fact, kind, now),
            available_at=now,
            due_at=now + dt.timedelta(hours=fact.factors.weights.due_hours),
            note=NOTE,
            **{link: fact.pk},
        )
        for fact in facts.values()
    ]
    # A concurrent run or a symptomatic answer may have opened some: theirs stand.
    WorkItem.objects.bulk_create(items, ignore_conflicts=True)
    return len(items)


# --- The end of monitoring ------------------------------------------------------------------


@dataclass
class Closed:
    exposures: int = 0
    messages: int = 0


def close_ended_monitoring(*, now: dt.datetime | None = None) -> Closed:
    """Close the monitoring periods that are over and send each person one closing message."""
    now = now or timezone.now()
    result = Closed()
    actor = system_user()
    with transaction.atomic():
        closed = _close_exposures(now)
        if closed:
            record_bulk(
                actor,
                Action.UPDATE,
                [ObjectRef.of(Exposure, pk) for pk, _person, _end in closed],
                reason="monitoring completed",
                payload={"monitoring_status": MonitoringStatus.COMPLETED},
            )
        result.exposures = len(closed)
        ended = [(person, end) for _pk, person, end in closed] + _released_cases(now)
        result.messages = _closing_messages(ended, now)
    return result


def _reports(person_ids: Iterable[int], tz_of: dict[int, Any]) -> dict[int, tuple[Report, ...]]:
    found: dict[int, list[Report]] = defaultdict(list)
    answers = CheckInAnswer.objects.filter(person_id__in=list(person_ids)).order_by()
    for answer in answers.values("person_id", "day", "symptomatic"):
        tz = tz_of[answer["person_id"]]
        at = dt.datetime.combine(answer["day"], dt.time(12), tzinfo=tz)
        found[answer["person_id"]].append(Report(at=at, symptomatic=answer["symptomatic"]))
    return {pk: tuple(reports) for pk, reports in found.items()}


def _close_exposures(now: dt.datetime) -> list[tuple[int, int, dt.date]]:
    """(exposure, contact, end date) of the exposures closed now."""
    periods = [rule.monitoring_period_days for rule in profile_rules().values()]
    if not periods:
        return []
    # A first cut in SQL: no profile ends a period sooner; a day of margin for the zones.
    latest = timezone.localdate(now) + dt.timedelta(days=1) - dt.timedelta(days=min(periods))
    candidates = list(
        Exposure.objects.filter(
            monitoring_status=MonitoringStatus.MONITORING,
            ongoing=False,
            last_exposure_date__lte=latest,
        )
        .select_related("case__profile", "contact")
        .order_by("pk")
    )
    cache: dict[_RulesKey, RuleParameters | None] = {}
    rules = {e.pk: _rules_of(e.case, cache) for e in candidates}
    due = [e for e in candidates if _period_over(e, rules[e.pk], now)]
    tz_of = {e.contact_id: zone(e.contact.time_zone) for e in due}
    reports = _reports(tz_of, tz_of)
    closing = []
    for exposure in due:
        params = rules[exposure.pk]
        assert params is not None
        situation = Situation(
            record=Monitoree(
                workflow=Workflow.EXPOSURE,
                enrolled_at=exposure.created_at,
                updated_at=exposure.updated_at,
                last_exposure_date=exposure.last_exposure_date,
            ),
            now=now,
            zone=tz_of[exposure.contact_id],
            reports=reports.get(exposure.contact_id, ()),
        )
        if symptom_onset(situation) is not None:
            continue  # symptoms: the follow-up decides, not the calendar
        if close_eligible(params, situation) is None and not _reporting_over(params, situation):
            continue
        end = exposure.last_exposure_date + dt.timedelta(days=params.monitoring_period_days)
        closing.append((exposure.pk, exposure.contact_id, end))
    if closing:
        Exposure.objects.filter(pk__in=[pk for pk, _p, _e in closing]).update(
            monitoring_status=MonitoringStatus.COMPLETED, updated_at=now
        )
    return closing


_RulesKey = tuple[int | None, int, dt.date]


def _rules_of(
    case: Case, cache: dict[_RulesKey, RuleParameters | None] | None = None
) -> RuleParameters | None:
    """The case's rules; ``cache`` spares a lookup per case of the same profile or date."""
    if cache is None:
        return profile_parameters(case)
    key = (
        case.profile_id,
        case.disease_id,
        case.report_date if case.profile_id is None else dt.date.min,
    )
    if key not in cache:
        cache[key] = profile_parameters(case)
    return cache[key]


def _period_over(exposure: Exposure, params: RuleParameters | None, now: dt.datetime) -> bool:
    """A cheap first look: the monitoring period's last day has come (None: no rules)."""
    if params is None:
        return False
    today = local_day(now, exposure.contact.time_zone)
    return exposure.last_exposure_date + dt.timedelta(days=params.monitoring_period_days) <= today


def _reporting_over(params: RuleParameters, situation: Situation) -> bool:
    """No reminder may go any more: the period and its extra reporting days are over."""
    lde = situation.record.last_exposure_date
    assert lde is not None
    days = params.monitoring_period_days + params.reminder_days_after_monitoring
    return monitoring_complete(params, situation) and situation.before_days_ago(lde, days)


def _released_cases(now: dt.datetime) -> list[tuple[int, dt.date]]:
    """(person, isolation end) of cases whose isolation ended and whose release rules are met."""
    today = timezone.localdate(now)
    cases = list(
        Case.objects.filter(
            status=CaseStatus.OPEN,
            isolation_end__lt=today,
            isolation_end__gte=today - dt.timedelta(days=CLOSING_CATCH_UP_DAYS),
        ).select_related("profile", "person")
    )
    if not cases:
        return []
    tz_of = {c.person_id: zone(c.person.time_zone) for c in cases}
    reports = _reports(tz_of, tz_of)
    labs: dict[int, list[LabResult]] = defaultdict(list)
    for result in LabResult.objects.filter(person_id__in=list(tz_of)):
        labs[result.person_id].append(result)
    released: list[tuple[int, dt.date]] = []
    cache: dict[_RulesKey, RuleParameters | None] = {}
    for case in cases:
        params = _rules_of(case, cache)
        if params is None or case.isolation_end is None:
            continue
        tz = tz_of[case.person_id]
        situation = Situation(
            record=Monitoree(
                workflow=Workflow.ISOLATION,
                enrolled_at=case.created_at,
                updated_at=case.updated_at,
                user_symptom_onset=None if case.asymptomatic else case.onset_date,
            ),
            now=now,
            zone=tz,
            reports=reports.get(case.person_id, ()),
            labs=lab_inputs(labs.get(case.person_id, []), tz),
        )
        if recovery(params, situation) is not None:
            released.append((case.person_id, case.isolation_end))
    return released


def _closing_messages(ended: list[tuple[int, dt.date]], now: dt.datetime) -> int:
    """One closing message per person no longer monitored, keyed to the end date."""
    if not ended:
        return 0
    persons = Person.objects.select_related("guardian").in_bulk({pk for pk, _end in ended})
    still = _still_monitored(persons, now)
    started, sent = timezone.now(), 0
    for person_id, end in sorted(set(ended)):
        person = persons[person_id]
        if person_id in still or person.deceased_date is not None or person.purged_at:
            continue
        recipient = reached_through(person, local_day(now, person.time_zone))
        channel, address = first_address(recipient)
        if channel is None or address is None:
            continue
        try:
            row = enqueue(
                channel,
                Purpose.CLOSING,
                person=person,
                address=address,
                language=recipient.preferred_language,
                key_day=end + dt.timedelta(days=1),
            )
        except OutreachError:
            continue
        sent += row.created_at >= started  # an earlier run's row is returned as it was
    return sent


def _still_monitored(persons: dict[int, Person], now: dt.datetime) -> set[int]:
    """Persons with another exposure under monitoring or a case still isolating."""
    today = timezone.localdate(now)
    ids = list(persons)
    exposed = Exposure.objects.filter(
        contact_id__in=ids, monitoring_status=MonitoringStatus.MONITORING
    ).values_list("contact_id", flat=True)
    isolating = (
        Case.objects.filter(person_id__in=ids, status=CaseStatus.OPEN, isolation_start__lte=today)
        .filter(Q(isolation_end__isnull=True) | Q(isolation_end__gte=today))
        .values_list("person_id", flat=True)
    )
    return set(exposed) | set(isolating)
