"""Blocking keys follow every change to a person, so the importer never misses one."""

from __future__ import annotations

import datetime as dt

import pytest

from epitrace.labs.ingest.report import Identifier, Patient
from epitrace.people.matching import PersonMatcher
from epitrace.people.matchkeys import index_pending
from epitrace.people.models import Person, PersonMatchKey
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db


def _keys(person: Person) -> set[str]:
    return set(PersonMatchKey.objects.filter(person=person).values_list("key", flat=True))


def test_a_saved_person_is_keyed_before_the_next_match() -> None:
    person = f.PersonFactory.create(
        given_name="Rosa", family_name="Lindqvist", birth_date=dt.date(1971, 3, 9), sex="F"
    )
    assert person.match_keyed is False
    assert index_pending() >= 1
    person.refresh_from_db()
    first = _keys(person)
    assert person.match_keyed
    assert first
    assert index_pending() == 0  # nothing left: one indexed query

    person.family_name = "Okafor"  # married, renamed by a tracer
    person.save()
    person.refresh_from_db()
    assert person.match_keyed is False
    match = PersonMatcher().match(
        Patient(given_name="Rosa", family_name="Okafor", birth_date=dt.date(1971, 3, 9), sex="F")
    )
    assert match.person == person  # re-keyed first, then found under the new name
    assert _keys(person) != first


def test_purged_and_unkeyable_persons_are_never_candidates() -> None:
    purged = f.PersonFactory.create(
        given_name="Ida", family_name="Moss", birth_date=dt.date(1950, 1, 1), sex="F"
    )
    Person.objects.filter(pk=purged.pk).update(purged_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    match = PersonMatcher().match(
        Patient(
            given_name="Ida",
            family_name="Moss",
            birth_date=dt.date(1950, 1, 1),
            sex="F",
            identifiers=[Identifier(value="X1", authority="LAB")],
        )
    )
    assert match.person is None
    no_birth = f.PersonFactory.create(birth_date=None)
    index_pending()
    assert _keys(no_birth) == set()


def test_a_contact_without_a_birth_date_is_found_by_phone_and_name() -> None:
    known = f.PersonFactory.create(
        given_name="Tomas", family_name="Brennan", birth_date=dt.date(1988, 6, 1), sex="M"
    )
    f.ContactPointFactory.create(person=known, kind="phone", value="+18605550177")
    patient = Patient(given_name="Tomas", family_name="Brennan", phones=["(860) 555-0177"])
    match = PersonMatcher().match(patient)
    # Found as a candidate; without a birth date it is never matched outright.
    assert match.person is None
    assert [c.person_id for c in match.review] == [known.pk]
