"""Cached choice labels give what Django's ``get_FOO_display`` gives, in every language."""

from __future__ import annotations

from functools import partialmethod

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from epitrace.contacts.choices import Relation
from epitrace.contacts.models import Exposure
from epitrace.core import labels

LANGUAGES = ["en", "es", "pt"]


def _fields() -> list[tuple[type[models.Model], models.Field]]:
    return [
        (model, field)
        for model in apps.get_models()
        if model.__module__.startswith("epitrace.")
        for field in model._meta.concrete_fields
        if field.choices is not None
    ]


def test_every_choice_field_of_the_project_is_served_from_the_cache():
    fields = _fields()
    assert len(fields) > 20
    for model, field in fields:
        method = model.__dict__[f"get_{field.name}_display"]
        assert isinstance(method, partialmethod)
        assert method.func is labels._display, (model, field)
    assert labels.install() == 0  # already in place


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_same_labels_as_django_for_every_value_and_an_unknown_one(language):
    with translation.override(language):
        for model, field in _fields():
            for value in [*(choice for choice, _ in field.flatchoices), "not-a-choice", None]:
                instance = model()
                setattr(instance, field.attname, value)
                expected = models.Model._get_FIELD_display(instance, field)  # type: ignore[attr-defined]
                found = getattr(instance, f"get_{field.name}_display")()
                assert found == expected, (model, field.name, value, language)
                assert type(found) is type(expected)


def test_a_label_follows_the_active_language():
    exposure = Exposure(relation=Relation.WORK)
    with translation.override("en"):
        english = exposure.get_relation_display()
    with translation.override("es"):
        spanish = exposure.get_relation_display()
    with translation.override("en"):
        assert exposure.get_relation_display() == english == "Co-worker"
    assert spanish == "Compañero/a de trabajo"
