"""A statement reads what its queryset reads, compiled once, with each call's values."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Value
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.core.statements import Statement, StatementError
from epitrace.diseases.models import DiseaseProfile

pytestmark = pytest.mark.django_db


def _cases(person: int):
    named = Exposure.objects.filter(case=OuterRef("pk"))
    return (
        Case.objects.filter(person=person)
        .select_related("person__jurisdiction", "disease")
        .annotate(has_contacts=Exists(named), tag=Value("x"))
        .order_by("-id")[:5]
    )


CASES = Statement(_cases)


def _fields(case: Case) -> tuple[object, ...]:
    return (
        case.pk,
        case.status,
        case.report_date,
        case.person.family_name,
        case.person.jurisdiction.code,
        case.disease.code,
        getattr(case, "has_contacts", None),
        getattr(case, "tag", None),
    )


def test_rows_are_those_of_the_queryset_for_each_value(personas):
    for side in (personas.a, personas.b):
        expected = [_fields(c) for c in _cases(side.person.pk)]
        found = [_fields(c) for c in CASES.fetch(side.person.pk)]
        assert found == expected
        assert found
        assert found[0][-2] is True  # the side's case named its contact
    assert CASES.fetch(0) == []


def test_compiled_once_then_one_query_per_call_with_relations_loaded(personas):
    CASES.fetch(personas.a.person.pk)
    with CaptureQueriesContext(connection) as queries:
        cases = CASES.fetch(personas.b.person.pk)
        _ = [(c.person.jurisdiction.name, c.disease.name) for c in cases]
    assert len(queries.captured_queries) == 1
    assert str(personas.b.person.pk) in queries.captured_queries[0]["sql"]


def test_columns_are_converted_as_the_orm_converts_them_without_asking_again(personas, monkeypatch):
    # A JSON column is text until its field's converter reads it (on every
    # database); a date is one on SQLite. The converters are found once.
    profiles = Statement(
        lambda pk: DiseaseProfile.objects.filter(disease=pk).select_related("disease")
    )
    disease = personas.a.case.disease_id
    expected = [(p.pk, p.parameters, p.effective_from) for p in profiles.build(disease)]
    assert expected
    assert isinstance(expected[0][1], dict)
    first = [(p.pk, p.parameters, p.effective_from) for p in profiles.fetch(disease)]
    asked: list[object] = []
    original = SQLCompiler.get_converters

    def counted(self: SQLCompiler, expressions: Any) -> Any:
        asked.append(expressions)
        return original(self, expressions)

    monkeypatch.setattr(SQLCompiler, "get_converters", counted)
    again = [(p.pk, p.parameters, p.effective_from) for p in profiles.fetch(disease)]
    assert first == again == expected
    assert asked == []


def test_instances_behave_as_the_orms(personas):
    (case,) = Statement(lambda pk: Case.objects.filter(pk=pk)).fetch(personas.a.case.pk)
    assert case == personas.a.case
    assert case._state.db == "default"
    assert not case._state.adding
    case.report_date = personas.a.case.specimen_date
    case.save(update_fields=["report_date"])
    assert Case.objects.get(pk=case.pk).report_date == personas.a.case.specimen_date


@pytest.mark.parametrize(
    "build",
    [
        lambda person: Case.objects.all(),  # the argument goes nowhere
        lambda person: Case.objects.filter(person=person).prefetch_related("exposures"),
        lambda person: Case.objects.filter(person=person).values("pk"),
        lambda person: Case.objects.filter(person=abs(person)),  # not the value given
    ],
)
def test_a_queryset_that_cannot_be_a_statement_is_refused(personas, build):
    with pytest.raises(StatementError):
        Statement(build).fetch(personas.a.person.pk)


def test_the_number_of_values_is_checked():
    with pytest.raises(TypeError):
        CASES.fetch(1, 2)
