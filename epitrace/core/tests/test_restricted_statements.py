"""A ``Restricted`` statement reads exactly what ``restrict()`` reads, whoever asks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.core.statements import Restricted
from epitrace.core.tests.test_of_person import _askers, share_and_break_glass
from epitrace.labs.models import LabResult
from epitrace.people.models import Person
from epitrace.queues.models import WorkItem
from epitrace.queues.services import open_item
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

pytestmark = pytest.mark.django_db

# (model, shape, the restrict() read it stands for)
SHAPES: list[tuple[type[Any], Any, Any]] = [
    (Person, lambda rows, pk: rows.filter(Q(pk=pk) | Q(guardian_id=pk)), "person"),
    (Case, lambda rows, pk: rows.filter(person=pk).select_related("person"), "person"),
    (Exposure, lambda rows, pk: rows.filter(Q(contact=pk) | Q(case__person=pk)), "person"),
    (WorkItem, lambda rows, pk: rows.filter(case__person=pk), "person"),
    (LabResult, lambda rows, pk: rows.filter(person=pk).select_related("disease"), "person"),
]


def _items(personas: Personas) -> None:
    for side in (personas.a, personas.b):
        open_item("investigation", case=side.case)


def _compare(personas: Personas, action: str) -> None:
    sides = (personas.a, personas.b)
    persons = [p.pk for side in sides for p in (side.person, side.contact)]
    for model, shape, _ in SHAPES:
        statement = Restricted(model, shape, action)
        for asker in _askers(personas):
            for pk in persons:
                expected = sorted(r.pk for r in shape(model.objects.restrict(asker, action), pk))
                found = sorted(r.pk for r in statement.fetch(asker, pk))
                assert found == expected, (model.__name__, str(asker), pk, action)


@pytest.mark.parametrize("action", ["view", "change"])
def test_same_rows_as_restrict_on_both_sides_of_the_boundary(personas, action):
    _items(personas)
    people = Restricted(Person, lambda rows, pk: rows.filter(pk=pk))
    assert people.fetch(personas.a.tracer, personas.a.person.pk)
    assert not people.fetch(personas.a.tracer, personas.b.person.pk)
    _compare(personas, action)


def test_same_rows_through_a_share_and_a_break_glass(personas):
    _items(personas)
    glass = share_and_break_glass(personas)
    people = Restricted(Person, lambda rows, pk: rows.filter(pk=pk))
    assert people.fetch(personas.b.tracer, personas.a.person.pk)  # shared
    assert people.fetch(personas.b.tracer, personas.a.contact.pk)  # break-glass
    _compare(personas, "view")
    _compare(personas, "change")
    # An access that has expired reaches nothing: the clock is the request's.
    glass.expires_at = timezone.now() - dt.timedelta(minutes=1)
    glass.save(update_fields=["expires_at"])
    assert not people.fetch(personas.b.tracer, personas.a.contact.pk)
    _compare(personas, "view")


def test_one_query_per_read_once_compiled(personas):
    people = Restricted(Person, lambda rows, pk: rows.filter(pk=pk).select_related("jurisdiction"))
    people.fetch(personas.a.tracer, personas.a.person.pk)
    with CaptureQueriesContext(connection) as queries:
        (person,) = people.fetch(personas.a.tracer, personas.a.contact.pk)
        assert person.jurisdiction == personas.a.jurisdiction
    assert len(queries.captured_queries) == 1


def test_the_number_of_values_is_checked(personas):
    with pytest.raises(TypeError):
        Restricted(Person, lambda rows, pk: rows.filter(pk=pk)).fetch(personas.a.tracer)


def test_a_persons_cases_and_the_cases_their_exposures_name(personas):
    """``cases_and_linked`` by statement (one per number of linked cases) and by the ORM."""
    from epitrace.web.views.common import MOST_LINKED, _cases_linking, _own_and_linked

    share_and_break_glass(personas)
    a, b = personas.a, personas.b
    cases = [a.case, b.case, *(f.CaseFactory.create() for _ in range(MOST_LINKED))]
    linked_sets = [[], [b.case.pk], [a.case.pk, b.case.pk], [c.pk for c in cases[:MOST_LINKED]]]
    persons = [p.pk for side in (a, b) for p in (side.person, side.contact)]
    for asker in _askers(personas):
        for person in persons:
            for linked in linked_sets:
                expected = _own_and_linked(Case.objects.restrict(asker, "view"), person, *linked)
                found = _cases_linking(len(linked)).fetch(asker, person, *linked)
                assert sorted(c.pk for c in found) == sorted(c.pk for c in expected), (
                    str(asker),
                    person,
                    linked,
                )
    assert {c.pk for c in _cases_linking(1).fetch(a.tracer, a.person.pk, b.case.pk)} == {a.case.pk}


def test_one_statement_for_every_set_of_jurisdictions_of_one_size(personas, monkeypatch):
    """Tracers of different LHDs share a compiled statement; each still reads their own rows."""
    from epitrace.core.statements import Statement

    compiled: list[int] = []
    real = Statement._compile

    def counted(self: Statement[Any], conn: Any) -> Any:
        compiled.append(self.number)
        return real(self, conn)

    monkeypatch.setattr(Statement, "_compile", counted)
    a, b = personas.a, personas.b
    both = f.UserFactory.create(username="both.lhds")
    for side in (a, b):
        f.MembershipFactory.create(user=both, jurisdiction=side.jurisdiction, role="tracer")
    people = Restricted(Person, lambda rows, pk: rows.filter(pk=pk))
    cases = Restricted(Case, lambda rows, pk: rows.filter(person=pk))
    for asker, person, seen in [
        (a.tracer, a.person, True),
        (b.tracer, a.person, False),
        (b.tracer, b.person, True),
        (a.tracer, b.person, False),
        (both, a.person, True),
        (both, b.person, True),
    ]:
        assert bool(people.fetch(asker, person.pk)) is seen, (asker, person)
        found = [c.pk for c in cases.fetch(asker, person.pk)]
        assert found == ([side.case.pk for side in (a, b) if side.person == person] if seen else [])
    # One for the tracers of one LHD each, one for the tracer of two: per statement.
    assert len(compiled) == 4
