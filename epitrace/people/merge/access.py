"""Who may see and decide which pairs and merges.

Merging rewrites the records of two persons, so the user must be able to
change both (``people.change_person`` where each lives, or through a share).
A pair or a merge the user cannot reach on both sides looks exactly like a
missing one: the querysets below simply do not hold it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.people.models import Person, PersonMerge, PossibleDuplicate, not_absorbed_q

# The action on Person that merging needs. A stronger, merge-only capability
# would change this one line (see the report on roles.py).
MERGE_ACTION = "merge"
MERGE_CAPABILITY = f"people.{MERGE_ACTION}_person"


def mergeable_persons(user: Any) -> QuerySet[Person]:
    """Persons the user may merge, unmerge or mark: changeable and not absorbed."""
    return Person.objects.restrict(user, MERGE_ACTION).filter(not_absorbed_q())


def visible_duplicates(user: Any) -> QuerySet[PossibleDuplicate]:
    """Pairs of which the user may change both persons, neither absorbed.

    A pair whose person was absorbed by another merge is hidden, not closed:
    it comes back as it was if that merge is undone.
    """
    people = mergeable_persons(user).values("pk")
    return PossibleDuplicate.objects.filter(person_a__in=people, person_b__in=people)


def visible_merges(user: Any) -> QuerySet[PersonMerge]:
    """Merges whose survivor the user may change and whose absorbed person lives in reach.

    The absorbed person is hidden while the merge is active, so its reach is
    judged by its jurisdiction of residence (shares and elicited-contact
    access moved to the survivor with the merge).
    """
    survivors = mergeable_persons(user).values("pk")
    merges = PersonMerge.objects.filter(survivor__in=survivors)
    ids = visible_jurisdiction_ids(user, MERGE_CAPABILITY)
    if ids is None:  # the system identity
        return merges
    return merges.filter(Q(merged__jurisdiction_id__in=ids))
