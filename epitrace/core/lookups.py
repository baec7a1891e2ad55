"""``field__any=values``: ``IN`` for thousands of values, as one array parameter.

Django writes ``field IN (%s, %s, ...)`` with a parameter per value; with the
importer's batches of a few thousand keys, building and splitting those
queries costs more than running them. On PostgreSQL this lookup sends one
array (``field = ANY(%s)``), which the planner treats as ``IN``; elsewhere it
is ``__in``. Values must be plain str or int (no expressions).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any"

    def get_prep_lookup(self) -> Any:
        values = self.rhs
        if isinstance(values, (list, tuple, set, frozenset)) and all(
            isinstance(v, (str, int)) for v in values
        ):
            return list(dict.fromkeys(values))  # plain values need no preparing
        return super().get_prep_lookup()

    def as_postgresql(self, compiler: Any, connection: Any) -> Any:
        values = self.rhs
        if not isinstance(values, list):
            return super().as_sql(compiler, connection)
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, values]


ForeignObject.register_lookup(AnyOf)  # person_id__any=ids
