"""The share and break-glass grants of restrict(), written out as SQL, reach what the ORM did."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.jurisdictions.models import BreakGlass, RecordShare
from epitrace.labs.models import LabResult
from epitrace.people.models import ContactPoint, Person
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db

MODELS = (Person, ContactPoint, Case, LabResult, Exposure)


def _share(personas: Personas, person: Person, *, revoked: bool = False) -> RecordShare:
    return RecordShare.objects.create(
        person=person,
        jurisdiction=personas.b.jurisdiction,
        reason="cluster at a school",
        created_by=personas.state_epi,
        revoked_by=personas.state_epi if revoked else None,
        revoked_at=timezone.now() if revoked else None,
    )


def _break_glass(user: Any, person: Person, expires_in: dt.timedelta) -> BreakGlass:
    return BreakGlass.objects.create(
        user=user, person_id=person.pk, reason="urgent", expires_at=timezone.now() + expires_in
    )


def _orm_reference(model: Any, user: Any, action: str) -> set[int]:
    """The rows the querysets restrict() used to build for the grants would give."""
    meta = model._meta
    ids = visible_jurisdiction_ids(user, f"{meta.app_label}.{action}_{meta.model_name}")
    assert ids is not None
    query = model.scope_q(frozenset(ids)) if ids else Q(pk__in=[])
    sources: list[Any] = []
    if ids:
        shares = RecordShare.objects.filter(jurisdiction_id__in=ids, revoked_at__isnull=True)
        sources.append(shares.values("person_id"))
    if action == "view":
        glass = BreakGlass.objects.filter(user_id=user.pk, expires_at__gt=timezone.now())
        sources.append(glass.values("person_id"))
    for source in sources:
        for path in model.person_paths:
            query |= Q(**{f"{path}__in": source})
    return set(model.objects.filter(query).values_list("pk", flat=True))


def _visible(model: Any, user: Any, action: str = "view") -> set[int]:
    return set(model.objects.restrict(user, action).values_list("pk", flat=True))


@pytest.fixture
def grants(personas: Personas) -> Personas:
    """LHD A's person shared with LHD B; LHD A's contact shared and then revoked;
    B's tracer holding one live and one expired break-glass in LHD A."""
    f.ContactPointFactory.create(person=personas.a.person)
    _share(personas, personas.a.person)
    _share(personas, personas.a.contact, revoked=True)
    glass_person = f.PersonFactory.create(jurisdiction=personas.a.jurisdiction)
    f.CaseFactory.create(person=glass_person, jurisdiction=personas.a.jurisdiction)
    _break_glass(personas.b.tracer, glass_person, dt.timedelta(hours=4))
    expired = f.PersonFactory.create(jurisdiction=personas.a.jurisdiction)
    _break_glass(personas.b.tracer, expired, -dt.timedelta(minutes=1))
    personas.glass_person, personas.expired_person = glass_person, expired  # type: ignore[attr-defined]
    return personas


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("action", ["view", "change"])
def test_grants_reach_the_same_rows_as_the_orm_built_subqueries(
    grants: Personas, model: Any, action: str
) -> None:
    for user in (grants.a.tracer, grants.b.tracer, grants.state_epi):
        assert _visible(model, user, action) == _orm_reference(model, user, action)


def test_a_share_reaches_the_person_and_their_records_until_revoked(grants: Personas) -> None:
    a, b = grants.a, grants.b
    assert a.person.pk in _visible(Person, b.tracer)
    assert a.case.pk in _visible(Case, b.tracer)
    assert a.lab.pk in _visible(LabResult, b.tracer)
    assert a.contact.pk not in _visible(Person, b.tracer)  # its share was revoked
    assert b.person.pk not in _visible(Person, a.tracer)  # nothing was shared the other way


def test_break_glass_opens_for_reading_only_and_only_until_it_expires(grants: Personas) -> None:
    tracer = grants.b.tracer
    glass = grants.glass_person  # type: ignore[attr-defined]
    assert glass.pk in _visible(Person, tracer)
    assert Case.objects.restrict(tracer).filter(person=glass).exists()
    assert glass.pk not in _visible(Person, tracer, "change")
    assert grants.expired_person.pk not in _visible(Person, tracer)  # type: ignore[attr-defined]
    colleague = f.UserFactory.create()  # same LHD and role, but the access is not theirs
    f.MembershipFactory.create(user=colleague, jurisdiction=grants.b.jurisdiction, role="tracer")
    assert glass.pk not in _visible(Person, colleague)


def test_a_restricted_query_with_grants_nests_and_combines(grants: Personas) -> None:
    tracer = grants.b.tracer
    persons = Person.objects.restrict(tracer)
    nested = Case.objects.filter(person__in=persons.values("pk"))
    assert set(nested.values_list("pk", flat=True)) == set(
        Case.objects.filter(person_id__in=_visible(Person, tracer)).values_list("pk", flat=True)
    )
    both = Case.objects.restrict(tracer) | Case.objects.restrict(grants.a.tracer)
    assert set(both.values_list("pk", flat=True)) == _visible(Case, tracer) | _visible(
        Case, grants.a.tracer
    )
    assert Case.objects.restrict(tracer).count() == len(_visible(Case, tracer))
