"""Helpers the staff views share: htmx fragments, paging, visible linked cases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.core.statements import Ahead, PersonRows, Restricted
from epitrace.outreach.models import Suppression
from epitrace.people.models import ContactPoint, Person


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx swap of the results; a history restore needs the whole page."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_with_partial(
    request: HtmxHttpRequest, template: str, context: Mapping[str, Any], partial: str
) -> HttpResponse:
    """The full page, or only its ``partial`` when htmx asks for it."""
    fragment = wants_fragment(request)
    name = f"{template}#{partial}" if fragment else template
    response = render(request, name, {**context, "fragment": fragment})
    # The same URL answers with a page or a fragment: caches must keep both apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def paginate(
    request: HttpRequest, queryset: QuerySet[Any], data: Mapping[str, Any] | None = None
) -> Page[Any]:
    """The requested page; ``data`` is the submitted search form when it is a POST."""
    paginator = Paginator(queryset, settings.EPITRACE_PAGE_SIZE)
    return paginator.get_page((request.GET if data is None else data).get("page"))


def search_data(request: HttpRequest, personal: tuple[str, ...]) -> Any:
    """The criteria of a search form, keeping personal terms out of URLs.

    Names, birth dates and phone numbers travel only in POST bodies: in a URL
    they would land in browser history, proxies and server logs. A GET may
    still carry the non-personal filters (links from the home page do).
    """
    if request.method == "POST":
        return request.POST
    data = request.GET.copy()
    for name in personal:
        data.pop(name, None)
    return data


def visible_cases(user: Any, case_ids: Iterable[int | None]) -> dict[int, Case]:
    """The cases among ``case_ids`` the user may see, by id.

    An exposure can be visible through the contact's jurisdiction while its
    case belongs to another one: the case, and its person's name, must then
    stay hidden like any other record out of reach.
    """
    ids = {pk for pk in case_ids if pk is not None}
    if not ids:
        return {}
    cases = (
        Case.objects.restrict(user, "view").filter(pk__in=ids).select_related("person", "disease")
    )
    return {case.pk: case for case in cases}


@dataclass
class ExposureRow:
    """An exposure and the case it links to, if that case is within reach."""

    exposure: Exposure
    linked: Case | None


def exposure_rows(user: Any, exposures: Iterable[Exposure], link: str) -> list[ExposureRow]:
    """Pair each exposure with its ``link`` case ("case_id" or "resulting_case_id")."""
    exposures = list(exposures)
    cases = visible_cases(user, (getattr(e, link) for e in exposures))
    return [ExposureRow(e, cases.get(getattr(e, link))) for e in exposures]


def _own_and_linked(cases: QuerySet[Case], person: int, *linked: int) -> QuerySet[Case]:
    return cases.filter(Q(person=person) | Q(pk__in=linked)).select_related(
        "person", "disease", "jurisdiction"
    )


# A person's exposures lead to a handful of cases at most: up to this many,
# the read is a statement compiled once per number of cases (and of
# jurisdictions); beyond, the ORM builds it.
MOST_LINKED = 5
_LINKING: dict[int, Restricted[Case]] = {}


def _cases_linking(count: int) -> Restricted[Case]:
    found = _LINKING.get(count)
    if found is None:
        found = _LINKING[count] = Restricted(Case, _own_and_linked, arity=count + 1)
    return found


def cases_and_linked(
    user: Any, person: Person, linked_ids: Iterable[int | None]
) -> tuple[dict[int, Case], dict[int | None, Case]]:
    """The person's own cases, and the cases ``linked_ids`` name: one restricted query.

    The linked cases are those an exposure leads to (the case a contact was
    exposed to, the case a contact became); one out of the user's reach stays
    hidden, as on every exposure list (``visible_cases``).
    """
    ids = {pk for pk in linked_ids if pk is not None}
    found: Iterable[Case]
    if len(ids) <= MOST_LINKED:
        found = _cases_linking(len(ids)).fetch(user, person.pk, *sorted(ids))
    else:
        found = _own_and_linked(Case.objects.restrict(user, "view"), person.pk, *ids)
    own: dict[int, Case] = {}
    linked: dict[int | None, Case] = {}  # .get(None): an exposure without a case
    for case in found:
        if case.person_id == person.pk:
            own[case.pk] = case
        if case.pk in ids:
            linked[case.pk] = case
    return own, linked


# Each marked whether it opted out and was not let back in.
_CONTACT_POINTS = PersonRows(
    ContactPoint,
    lambda points: points.annotate(
        opted_out=Exists(
            Suppression.objects.filter(address=OuterRef("value"), lifted_at__isnull=True)
        )
    ),
)


def contact_points_read(user: Any, person: Person) -> Ahead | None:
    """``contact_points_of``'s read, for a page to send with its others (``reading_ahead``)."""
    return _CONTACT_POINTS.ahead(user, person.pk)


def contact_points_of(user: Any, person: Person) -> tuple[list[ContactPoint], frozenset[str]]:
    """The person's phones and e-mails in reach, and those that opted out: one query.

    What ``web/includes/contact_points.html`` shows; given the set, it asks
    for no opt-outs of its own.
    """
    points = _CONTACT_POINTS.of_person(user, person.pk)
    return points, frozenset(point.value for point in points if getattr(point, "opted_out", False))
