"""The rule engine: every date and decision a disease profile makes.

Pure functions over plain inputs; every number comes from the profile
version (``DiseaseProfile.parameters``, checked by :mod:`.params`). A
``profile`` argument is a :class:`~epitrace.diseases.models.DiseaseProfile`,
its :class:`RuleParameters` (build them once with :func:`parameters_of` when
calling many times), or a plain mapping of parameter values (a what-if).
Day 0 is the exposure, onset or specimen date; an end is the period's last day.

Periods (:mod:`.periods`)::

    quarantine_end(profile, last_exposure, *, ongoing_until=None) -> date | None
    monitoring_end(profile, last_exposure, *, ongoing_until=None) -> date
    isolation_end(profile, *, onset=None, specimen=None) -> date | None
    infectious_period(profile, *, onset=None, specimen=None) -> InfectiousPeriod(start, end)
    reduced_quarantine(profile, last_exposure) -> ReducedQuarantine

Daily monitoring of one monitoree (:mod:`.monitoring`), over a
``Situation(record=Monitoree(...), now=aware datetime, zone=ZoneInfo, reports, labs)``::

    reminder_eligible(params, situation) -> bool
    being_monitored / monitoring_complete(params, situation) -> bool
    close_eligible(params, situation) -> CloseReason | None
    recovery(params, situation) -> Recovery | None
    symptom_onset(situation) -> date | None
    evaluate(params, situation) -> dict   # every output of a rule scenario

Records (:mod:`.records`, needs the database): ``exposure_quarantine_end``,
``case_isolation_end``, ``case_infectious_period``, ``lab_inputs``,
``profile_by_key``.
"""

from __future__ import annotations

from epitrace.diseases.rules.monitoring import (
    CloseReason,
    Lab,
    Monitoree,
    Recovery,
    Report,
    Situation,
    Workflow,
    being_monitored,
    close_eligible,
    end_of_monitoring,
    monitoring_complete,
    recovery,
    reduced_quarantine_7,
    reduced_quarantine_10,
    reminder_eligible,
    symptom_onset,
)
from epitrace.diseases.rules.params import (
    SPECS,
    ParamSpec,
    ProfileError,
    RuleParameters,
    parameters_of,
)
from epitrace.diseases.rules.periods import (
    InfectiousPeriod,
    ReducedQuarantine,
    infectious_period,
    isolation_end,
    monitoring_end,
    quarantine_end,
    reduced_quarantine,
)
from epitrace.diseases.rules.scenario import evaluate

__all__ = [
    "SPECS",
    "CloseReason",
    "InfectiousPeriod",
    "Lab",
    "Monitoree",
    "ParamSpec",
    "ProfileError",
    "Recovery",
    "ReducedQuarantine",
    "Report",
    "RuleParameters",
    "Situation",
    "Workflow",
    "being_monitored",
    "close_eligible",
    "end_of_monitoring",
    "evaluate",
    "infectious_period",
    "isolation_end",
    "monitoring_complete",
    "monitoring_end",
    "parameters_of",
    "quarantine_end",
    "recovery",
    "reduced_quarantine",
    "reduced_quarantine_7",
    "reduced_quarantine_10",
    "reminder_eligible",
    "symptom_onset",
]
