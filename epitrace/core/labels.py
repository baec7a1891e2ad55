"""Choice labels read once per field and language: ``get_FOO_display`` made cheap.

Django's ``get_FOO_display`` builds a dict of the field's choices on every
call, hashing each label; a label is a lazy translation, and hashing one
translates it. A case's panels show some fifteen such labels, which cost
about 120 translations a request. Our choices are fixed lists (enumerations,
never callables), so each field's labels are translated once per language
and kept: the same strings, from a dict built once.
"""

from __future__ import annotations

from functools import partialmethod
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

# (id of the field, language) -> choice value -> label. Fields live as long as
# their model, so an id is never reused while it is a key here.
_labels: dict[tuple[int, str | None], dict[Any, Any]] = {}
_MISSING = object()


def label_of(field: models.Field[Any, Any], value: Any) -> Any:
    """What ``get_FOO_display`` returns for ``value``: its label in the active
    language, or the value itself when no choice has it."""
    key = (id(field), get_language())
    labels = _labels.get(key)
    if labels is None:
        labels = _labels[key] = {
            make_hashable(choice): force_str(label, strings_only=True)
            for choice, label in field.flatchoices
        }
    found = labels.get(make_hashable(value), _MISSING)
    return force_str(value, strings_only=True) if found is _MISSING else found


def _display(instance: models.Model, field: models.Field[Any, Any]) -> Any:
    return label_of(field, getattr(instance, field.attname))


def install(package: str = "epitrace") -> int:
    """Give each model of ``package`` the cached ``get_FOO_display``; returns how many.

    Only where Django set its own (a model that writes its own keeps it).
    """
    installed = 0
    for model in apps.get_models():
        if not model.__module__.startswith(f"{package}."):
            continue
        for field in model._meta.concrete_fields:
            name = f"get_{field.name}_display"
            django_own = model.__dict__.get(name)
            if (
                field.choices is not None
                and isinstance(django_own, partialmethod)
                and django_own.func is not _display
            ):
                setattr(model, name, partialmethod(_display, field=field))
                installed += 1
    return installed
