"""Finding the person a report is about, without creating duplicates.

The importer, contact entry and the portal all call :class:`PersonMatcher`.
This version decides on identifiers (value, type and assigning authority)
and on exact name and birth date; probabilistic scoring comes behind the
same interface.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from epitrace.accounts.scope import system_user
from epitrace.labs.ingest.report import Patient
from epitrace.people.models import Person, PersonIdentifier


@dataclass(frozen=True)
class Match:
    person: Person | None
    rule: str  # "identifier", "name_birth_date" or "none"


class PersonMatcher:
    def __init__(self, actor: object | None = None) -> None:
        # The matcher looks for the system: a lab report names whoever it names.
        self.actor = actor or system_user()

    def match(self, patient: Patient) -> Match:
        by_identifier = self._by_identifier(patient)
        if by_identifier is not None:
            return Match(by_identifier, "identifier")
        by_name = self._by_name_and_birth_date(patient)
        if by_name is not None:
            return Match(by_name, "name_birth_date")
        return Match(None, "none")

    def _people(self) -> QuerySet[Person]:
        return Person.objects.restrict(self.actor, "view").filter(purged_at__isnull=True)

    def _by_identifier(self, patient: Patient) -> Person | None:
        query = Q()
        for identifier in patient.identifiers:
            if identifier.value and identifier.authority:
                # Authority and value decide; the type is often missing or guessed.
                query |= Q(authority=identifier.authority, value=identifier.value)
        if not query:
            return None
        held = PersonIdentifier.objects.restrict(self.actor, "view").filter(query)
        return self._people().filter(pk__in=held.values("person_id")).order_by("pk").first()

    def _by_name_and_birth_date(self, patient: Patient) -> Person | None:
        if not (patient.family_name and patient.given_name and patient.birth_date):
            return None
        wanted = (_fold(patient.family_name), _fold(patient.given_name))
        # The birth date narrows to a handful of rows; names are compared here,
        # casefolded, because SQLite's case-insensitive match folds ASCII only.
        candidates = (
            self._people()
            .filter(birth_date=patient.birth_date)
            .order_by("pk")
            .values_list("pk", "family_name", "given_name")[:500]
        )
        for pk, family, given in candidates:
            if (_fold(family), _fold(given)) == wanted:
                return self._people().get(pk=pk)
        return None


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()
