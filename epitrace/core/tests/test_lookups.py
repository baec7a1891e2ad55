"""``__any``: the same rows as ``__in``, with one array parameter on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from epitrace.people.models import ContactPoint, Person
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db


def test_any_finds_what_in_finds() -> None:
    people = [f.PersonFactory.create(family_name=name) for name in ("Ames", "Baker", "Cole")]
    f.ContactPointFactory.create(person=people[0])
    wanted = [people[0].pk, people[2].pk, 10**9]
    assert set(Person.objects.filter(pk__any=wanted)) == set(Person.objects.filter(pk__in=wanted))
    assert set(Person.objects.filter(family_name__any=["Baker", "Zed"])) == {people[1]}
    assert ContactPoint.objects.filter(person_id__any=[people[0].pk]).count() == 1
    assert not Person.objects.filter(pk__any=[]).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array form is PostgreSQL's")
def test_any_sends_one_parameter_on_postgresql() -> None:
    with CaptureQueriesContext(connection) as queries:
        list(Person.objects.filter(pk__any=list(range(1, 2001))))
    sql = queries[0]["sql"]
    assert "= ANY(" in sql
    assert " IN (" not in sql
