"""The out-of-state queue: residents of other states, to forward to their state.

A report about someone who lives in another state belongs to that state's
health department. The importer keeps such a person at the state (no local
health department is theirs) with ``address_status="out_of_state"``; this
queue lists them so they are forwarded, never silently kept. Below the state
it is empty in practice: ``restrict`` shows an LHD only the out-of-state
contacts its own cases named.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from epitrace.cases.models import Case
from epitrace.labs.models import LabResult
from epitrace.people.choices import AddressStatus
from epitrace.people.models import Person
from epitrace.web.views.common import HtmxHttpRequest, paginate, render_with_partial


@require_safe
def out_of_state(request: HtmxHttpRequest) -> HttpResponse:
    page = paginate(request, out_of_state_persons(request.user))
    return render_with_partial(request, "labs/out_of_state.html", {"page": page}, "results")


def out_of_state_persons(user: Any) -> QuerySet[Person]:
    """Out-of-state persons the user may see, with their visible cases and latest result.

    Newest first: by the latest result's date (collection, else import), the
    report that put the person in the queue; persons with no result last.
    """
    latest = (
        LabResult.objects.restrict(user, "view")
        .filter(person=OuterRef("pk"))
        .annotate(day=Coalesce("specimen_collected_at", "imported_at"))
        .order_by("-day")
        .values("day")[:1]
    )
    cases = Case.objects.restrict(user, "view").select_related("disease").order_by("-report_date")
    return (
        Person.objects.restrict(user, "view")
        .filter(address_status=AddressStatus.OUT_OF_STATE)
        .select_related("jurisdiction")
        .annotate(latest_result_at=Subquery(latest))
        .prefetch_related(Prefetch("cases", queryset=cases, to_attr="visible_cases"))
        .order_by(F("latest_result_at").desc(nulls_last=True), "-created_at", "-id")
    )
