"""``new_instance`` builds what ``Model(**values)`` builds, defaults included."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import models

from epitrace.cases.models import Case
from epitrace.core.bulkinsert import new_instance
from epitrace.interviews.models import Interview
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.labs.models import RawMessage
from epitrace.outreach.models import OutboxMessage
from epitrace.people.models import Person


def _attributes(obj: models.Model) -> dict[str, Any]:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def _same(built: models.Model, expected: models.Model) -> None:
    got, wanted = _attributes(built), _attributes(expected)
    assert list(got) == list(wanted)  # the same attributes, in field order
    for name, value in wanted.items():
        if isinstance(value, dt.datetime):  # a timezone.now default, made a moment apart
            assert abs(got[name] - value) < dt.timedelta(seconds=5), name
        else:
            assert got[name] == value, name
            assert type(got[name]) is type(value), name


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Person, {"given_name": "Ana", "family_name": "Lima", "jurisdiction_id": 7}),
        (RawMessage, {"format": "hl7", "content": "MSH|^~\\&|", "sha256": "ab" * 32}),
        (OutboxMessage, {"key": "k", "channel": "sms", "person_id": 3, "body": "Hello"}),
        (Interview, {"case_id": 11}),
    ],
)
def test_an_instance_is_the_one_the_model_builds(
    model: type[models.Model], values: dict[str, Any]
) -> None:
    _same(new_instance(model, values), model(**values))


def test_callable_defaults_are_made_for_each_instance() -> None:
    first, second = new_instance(Interview, {"case_id": 1}), new_instance(Interview, {"case_id": 2})
    assert first.answers == {}
    assert second.answers == {}
    first.answers["q"] = "yes"
    assert second.answers == {}  # not one dict shared by every interview
    assert new_instance(Interview, {"case_id": 3}).answers == {}


def test_a_given_value_wins_over_the_default_and_is_not_copied() -> None:
    answers = {"q": "no"}
    interview = new_instance(Interview, {"case_id": 1, "answers": answers})
    assert interview.answers is answers


def test_a_foreign_key_given_as_an_instance_sets_its_id() -> None:
    jurisdiction = Jurisdiction(pk=42, code="x", name="X")
    person = new_instance(Person, {"given_name": "Ana", "jurisdiction": jurisdiction})
    assert person.jurisdiction_id == 42
    assert person.jurisdiction is jurisdiction
    _same(person, Person(given_name="Ana", jurisdiction=jurisdiction))


def _state(obj: models.Model) -> tuple[str | None, dict[str, Any]]:
    return obj._state.db, dict(obj._state.fields_cache)


@pytest.mark.parametrize("database", [None, "default"])
def test_a_foreign_key_is_linked_as_its_descriptor_links_it(database: str | None) -> None:
    """The instance's database, the cached related instance, the related
    instance's own database: as assigning through the descriptor leaves them."""
    ours, theirs = Jurisdiction(pk=42, code="x"), Jurisdiction(pk=42, code="x")
    ours._state.db = theirs._state.db = database
    built = new_instance(Person, {"given_name": "Ana", "jurisdiction": ours})
    expected = Person(given_name="Ana", jurisdiction=theirs)
    _same(built, expected)
    assert _state(built)[0] == _state(expected)[0] == "default"
    assert built._state.fields_cache == {"jurisdiction": ours}
    assert ours._state.db == theirs._state.db == "default"


def test_a_foreign_key_set_to_none_is_cached_as_none() -> None:
    built, expected = new_instance(Person, {"jurisdiction": None}), Person(jurisdiction=None)
    _same(built, expected)
    assert _state(built) == _state(expected) == (None, {"jurisdiction": None})


def test_a_foreign_key_given_another_model_is_refused_as_django_refuses_it() -> None:
    with pytest.raises(ValueError, match=r'"Person\.jurisdiction" must be a "Jurisdiction"'):
        new_instance(Person, {"jurisdiction": Person(pk=1)})


def test_related_instances_of_two_databases_are_refused_as_django_refuses_them() -> None:
    """The instance takes the first key's database; a key on another one is refused."""
    values = {"jurisdiction": _on(Jurisdiction(pk=43), "default"), "person": _on(Person(pk=5), "x")}
    with pytest.raises(ValueError, match="router prevents this relation"):
        Case(**values)
    with pytest.raises(ValueError, match="router prevents this relation"):
        new_instance(Case, values)


def _on(obj: models.Model, database: str) -> models.Model:
    obj._state.db = database
    return obj


def test_a_one_to_one_key_also_caches_the_way_back() -> None:
    case = Case(pk=9)
    interview = new_instance(Interview, {"case": case})
    assert interview.case_id == 9
    assert case.interview is interview  # the descriptor's reverse cache, no query


def test_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"Person\(\) got unexpected fields \['nickname'\]"):
        new_instance(Person, {"given_name": "Ana", "nickname": "A"})
