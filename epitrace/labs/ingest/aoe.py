"""Questions asked at order entry: observations that are answers, not results.

The LOINC questions of the ELR feeds this imports (HHS COVID-19 reporting,
ReportStream, the ELR 2.5.1 IG examples, the at-home test IG). Every parser
sends these to ``LabReport.answers`` instead of ``results``.
"""

from __future__ import annotations

AOE_QUESTIONS = frozenset(
    {
        "95417-2",  # first test for condition of interest
        "95418-0",  # employed in a healthcare setting
        "95419-8",  # has symptoms related to condition of interest
        "95420-6",  # admitted to intensive care unit
        "95421-4",  # resides in a congregate care setting
        "65222-2",  # date and time of symptom onset
        "11368-8",  # illness or injury onset date and time
        "77974-4",  # hospitalized because of this condition
        "82810-3",  # pregnancy status
        "30525-0",  # age
        "35659-2",  # age at specimen collection
        "21612-7",  # age, reported
        "76691-5",  # gender identity
        "11294-6",  # current employment
    }
)
