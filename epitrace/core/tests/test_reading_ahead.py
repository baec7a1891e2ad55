"""Reads sent together (``reading_ahead``): the same rows, one round trip on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.core.statements import (
    PersonRows,
    Restricted,
    Statement,
    StatementError,
    reading_ahead,
)
from epitrace.people.models import ContactPoint, Person
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db

CASES = Statement(lambda person: Case.objects.filter(person=person).order_by("id"))
EXPOSURES = Restricted(Exposure, lambda rows, pk: rows.filter(contact=pk).order_by("id"))
PEOPLE = Restricted(Person, lambda rows, pk: rows.filter(pk=pk))
POINTS = PersonRows(ContactPoint, lambda rows: rows.order_by("id"))


def _pks(rows: list[Any]) -> list[int]:
    return [row.pk for row in rows]


def _reads(user: Any, person: Person) -> list[Any]:
    return [
        CASES.ahead(person.pk),
        EXPOSURES.ahead(user, person.pk),
        PEOPLE.ahead(user, person.pk),
        POINTS.ahead(user, person.pk),
    ]


def _fetched(user: Any, person: Person) -> list[list[int]]:
    return [
        _pks(CASES.fetch(person.pk)),
        _pks(EXPOSURES.fetch(user, person.pk)),
        _pks(PEOPLE.fetch(user, person.pk)),
        _pks(POINTS.of_person(user, person.pk)),
    ]


def test_the_rows_read_ahead_are_those_read_one_by_one_and_cost_no_query(personas):
    a, b = personas.a, personas.b
    f.ContactPointFactory.create(person=a.contact)
    for user, person in [(a.tracer, a.person), (a.tracer, a.contact), (b.tracer, a.contact)]:
        expected = _fetched(user, person)
        with (
            CaptureQueriesContext(connection) as sent,
            reading_ahead(*_reads(user, person)),
            CaptureQueriesContext(connection) as inside,
        ):
            assert _fetched(user, person) == expected
        assert inside.captured_queries == []
        # Those that can read anything (out of reach: no query at all) are sent.
        assert len(sent.captured_queries) == len([r for r in _reads(user, person) if r])
    assert _fetched(a.tracer, a.contact)[1]  # the contact's exposure, seen by its LHD
    assert not _fetched(b.tracer, a.contact)[2]  # and not by another


def test_a_read_is_taken_once_and_others_run_their_query(personas):
    a = personas.a
    with reading_ahead(CASES.ahead(a.person.pk)), CaptureQueriesContext(connection) as queries:
        first = CASES.fetch(a.person.pk)
        again = CASES.fetch(a.person.pk)
        other = CASES.fetch(personas.b.person.pk)
    assert _pks(first) == _pks(again) == [a.case.pk]
    assert _pks(other) == [personas.b.case.pk]
    assert len(queries.captured_queries) == 2


def test_nothing_read_ahead_outlives_its_block(personas):
    a = personas.a
    with reading_ahead(CASES.ahead(a.person.pk)):
        pass
    Case.objects.filter(pk=a.case.pk).update(person=personas.a.contact)
    assert CASES.fetch(a.person.pk) == []  # read afresh, not the rows of the block
    with pytest.raises(ValueError, match="stopped"), reading_ahead(CASES.ahead(a.person.pk)):
        raise ValueError("stopped")
    assert CASES.fetch(a.person.pk) == []


def test_blocks_do_not_nest(personas):
    with (
        reading_ahead(CASES.ahead(personas.a.person.pk)),
        pytest.raises(StatementError),
        reading_ahead(CASES.ahead(personas.b.person.pk)),
    ):
        pass


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's pipeline mode")
def test_one_round_trip_on_postgresql_and_a_failed_read_leaves_the_connection_usable(
    personas, monkeypatch
):
    a = personas.a
    pipelines = []
    connection.ensure_connection()
    real = type(connection.connection).pipeline

    def counted(self: Any) -> Any:
        pipelines.append(self)
        return real(self)

    monkeypatch.setattr(type(connection.connection), "pipeline", counted)
    with reading_ahead(*_reads(a.tracer, a.person)):
        pass
    assert len(pipelines) == 1
    broken = Statement(lambda pk: Case.objects.filter(pk=pk).extra(where=["'x'::int = 1"]))
    # Raised as Django's error, and as any failed query, undone to its savepoint.
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        reading_ahead(CASES.ahead(a.person.pk), broken.ahead(1)),
    ):
        pass
    assert _pks(CASES.fetch(a.person.pk)) == [a.case.pk]


def test_the_work_pages_use_every_read_they_send_ahead(personas, client, monkeypatch):
    """A read sent ahead that the page then asks with other values would run twice."""
    from epitrace.core import statements

    blocks: list[dict[tuple[Any, ...], list[Any]]] = []
    real = statements._read_together

    def noting(connection: Any, reads: Any) -> list[list[Any]]:
        blocks.append(connection.__dict__[statements._AHEAD_ATTR])  # what is taken leaves it
        return real(connection, reads)

    monkeypatch.setattr(statements, "_read_together", noting)
    a = personas.a
    f.ContactPointFactory.create(person=a.person)
    client.force_login(a.tracer)
    pages = [
        f"/cases/{a.case.pk}/",
        f"/interviews/cases/{a.case.pk}/panels/",
        f"/people/{a.contact.pk}/",
        f"/people/{a.contact.pk}/panels/",
    ]
    for page in pages:
        assert client.get(page, HTTP_HX_REQUEST="true").status_code == 200, page
    assert len(blocks) == len(pages)
    assert [list(block) for block in blocks] == [[]] * len(pages)
