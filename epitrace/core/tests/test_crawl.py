"""Every route that carries an identifier answers 404 to another jurisdiction.

The routes are enumerated from the URL configuration, so a new endpoint is
covered the day it is added. LHD-A owns one record with the id 900001 in
every table that a route can name; the LHD-B tracer requests each route with
that id in every identifier, with every HTTP method (a valid CSRF token on
writes), and anything but 404 fails.

Routes whose identifiers are not record ids (allauth's one-time keys) are
listed in NOT_RECORDS with the reason; a new such route must be added there
deliberately.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from epitrace.accounts.models import Membership, Team, User
from epitrace.accounts.testing import StaffClient
from epitrace.audit.services import record_read
from epitrace.jurisdictions.models import RecordShare
from epitrace.labs.models import RawMessage
from epitrace.people.models import (
    ContactPoint,
    Person,
    PersonIdentifier,
    PersonMerge,
    PossibleDuplicate,
)
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

A_ID = 900001
METHODS = ["get", "head", "options", "post", "put", "patch", "delete"]
# Route name -> why its identifiers are not record ids.
NOT_RECORDS = {
    "account_reset_password_from_key": "a one-time password-reset key, not a record",
    "account_confirm_email": "a one-time e-mail confirmation key, not a record",
    # The signed-in user's own passkeys: allauth answers the same for every id.
    "mfa_edit_webauthn": "the user's own authenticator, not a record",
    "mfa_remove_webauthn": "the user's own authenticator, not a record",
    # Message wording per jurisdiction holds no personal data; its screens
    # answer 404 across the boundary (epitrace/wording/tests/test_screens.py).
    "wording:edit": "a jurisdiction's message wording, not a record",
    "wording:preview": "a jurisdiction's message wording, not a record",
    "wording:revert": "a jurisdiction's message wording, not a record",
}


@dataclass(frozen=True)
class Route:
    name: str
    template: str  # "cases/{pk}/"
    converters: dict[str, str]


def routes() -> Iterator[Route]:
    yield from _walk(get_resolver().url_patterns, "", {}, "")


def _walk(patterns: list, prefix: str, converters: dict[str, str], ns: str) -> Iterator[Route]:
    for entry in patterns:
        route, found = _template(entry.pattern)
        if isinstance(entry, URLResolver):
            namespace = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from _walk(entry.url_patterns, prefix + route, {**converters, **found}, namespace)
        elif isinstance(entry, URLPattern) and (converters or found):
            yield Route(f"{ns}{entry.name}", prefix + route, {**converters, **found})


def _template(pattern: object) -> tuple[str, dict[str, str]]:
    if isinstance(pattern, RoutePattern):
        text = str(pattern)
        found = {name: kind or "str" for kind, name in re.findall(r"<(?:(\w+):)?(\w+)>", text)}
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text), found
    text = str(getattr(pattern, "_regex", pattern)).lstrip("^").rstrip("$")
    found = dict.fromkeys(re.findall(r"\(\?P<(\w+)>", text), "regex")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text).replace("\\", ""), found


def lhd_a_records(personas: Personas) -> None:
    """One LHD-A record numbered A_ID in each table a route can name."""
    a = personas.a
    person = f.PersonFactory.create(pk=A_ID, jurisdiction=a.jurisdiction)
    case = f.CaseFactory.create(pk=A_ID, person=person)
    f.LabResultFactory.create(pk=A_ID, person=person, case=case)
    f.ExposureFactory.create(pk=A_ID, case=case, contact=a.contact)
    WorkItem.objects.create(
        pk=A_ID, kind="investigation", case=case, jurisdiction=a.jurisdiction, queue=a.jurisdiction
    )
    ContactPoint.objects.create(pk=A_ID, person=person, kind="phone", value="+18605550199")
    PersonIdentifier.objects.create(pk=A_ID, person=person, authority="RRH", value="A-1")
    RawMessage.objects.create(
        pk=A_ID,
        format="hl7",
        source="file",
        content="MSH|",
        sha256="a" * 64,
        jurisdiction=a.jurisdiction,
    )
    RecordShare.objects.create(
        pk=A_ID,
        person=person,
        jurisdiction=f.JurisdictionFactory.create(),
        reason="cluster",
        created_by=a.tracer,
    )
    user = User.objects.create(pk=A_ID, username="a.only")
    team = Team.objects.create(pk=A_ID, jurisdiction=a.jurisdiction, name="A team")
    Membership.objects.create(
        pk=A_ID, user=user, jurisdiction=a.jurisdiction, role="tracer", team=team
    )
    other = f.PersonFactory.create(jurisdiction=a.jurisdiction)
    PossibleDuplicate.objects.create(
        pk=A_ID, person_a=a.person, person_b=person, score=0.8, source="import"
    )
    PersonMerge.objects.create(
        pk=A_ID, survivor=a.person, merged=other, merged_by=a.tracer, reason="same person", moves={}
    )
    record_read(a.tracer, person)


def test_the_enumeration_finds_the_record_routes() -> None:
    names = {route.name for route in routes()}
    assert {"case_detail", "person_detail", "share_revoke"} <= names


@pytest.mark.django_db
def test_lhd_b_gets_404_on_every_route_with_lhd_a_ids(personas: Personas) -> None:
    lhd_a_records(personas)
    b = personas.b.tracer
    assert not Person.objects.restrict(b, "view").filter(pk=A_ID).exists()
    client = StaffClient(enforce_csrf_checks=True)
    client.force_login(b)
    client.get("/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    failures = []
    checked = 0
    for route in routes():
        if route.name in NOT_RECORDS:
            continue
        unknown = {
            k
            for k, kind in route.converters.items()
            if kind not in {"int", "path", "str", "slug", "regex"}
        }
        assert not unknown, f"{route.name}: give LHD-A values for converters {unknown}"
        url = "/" + route.template.format(**dict.fromkeys(route.converters, A_ID))
        for method in METHODS:
            response = getattr(client, method)(url, HTTP_X_CSRFTOKEN=token)
            checked += 1
            if response.status_code != 404:
                failures.append(f"{method.upper()} {url} ({route.name}) -> {response.status_code}")
    assert checked > 20
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_forbidden_and_missing_look_the_same(personas: Personas) -> None:
    lhd_a_records(personas)
    client = StaffClient()
    client.force_login(personas.b.tracer)
    for name in ("cases", "people"):
        hidden = client.get(f"/{name}/{A_ID}/")
        missing = client.get(f"/{name}/{A_ID + 1}/")
        assert hidden.status_code == missing.status_code == 404
        assert _unmasked(hidden.content) == _unmasked(missing.content)
        assert _headers(hidden) == _headers(missing)


def _headers(response: Any) -> list[tuple[str, str]]:
    # Expires is "now" (never cache): two requests may straddle a second.
    return sorted((k, v) for k, v in response.headers.items() if k != "Expires")


def _unmasked(content: bytes) -> bytes:
    # The CSRF token (logout form, htmx header) is masked anew on every response.
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", content)
