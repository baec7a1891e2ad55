"""Merging two person records, undoing a merge exactly, and the duplicates queue.

Design, in short (precision first: a false merge mixes two people's health
records, so every step must be reversible and nothing may be lost):

- **The absorbed person's row is never changed or deleted.** A
  :class:`PersonMerge` row marks it absorbed while active (``not_absorbed_q``
  hides it); its records are re-pointed to the survivor, and ``moves`` lists
  every re-pointed row by table and id.
- **Rows that would break a uniqueness rule stay where they are**, on the
  absorbed person, untouched, listed under ``stayed``: a contact point the
  survivor already has, an exposure to a case the survivor is also a contact
  of (the survivor's own exposure is the one kept), an active share with a
  jurisdiction the survivor is already shared with, a ward who is the
  survivor. Nothing is deleted, so there is nothing to re-create on unmerge.
- **Case episodes clash** when both persons had the same disease: the
  absorbed person's cases of that disease are numbered after the survivor's,
  in their order, and each renumbering is recorded ``[before, after]``.
- **The survivor's empty fields are filled** from the absorbed person (the
  address only as a whole: half of one address and half of another is no
  address), with the previous values recorded.
- **Unmerge** moves back every row listed, restores the episodes and empties
  the filled fields, and reopens the queue entry. Rows attached to the
  survivor after the merge stay with the survivor: they were recorded
  against the merged person and nothing says which of the two they belong
  to. A filled field edited since the merge keeps its new value (a later
  correction is not part of the merge). Unmerge refuses, changing nothing,
  when the split cannot be clean: the survivor was itself absorbed since
  (undo that merge first), a moved row now belongs to a third person, the
  absorbed person got a case with a moved case's episode since, or a lab
  result or exposure now links a case of one person to the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from epitrace.accounts.scope import visible_jurisdiction_ids
from epitrace.audit.choices import Action
from epitrace.audit.services import ObjectRef, record, record_bulk, record_change, snapshot
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.jurisdictions.models import RecordShare, Transfer
from epitrace.labs.models import LabResult
from epitrace.outreach.models import CheckInAnswer, InboundMessage, OutboxMessage
from epitrace.people.choices import Sex
from epitrace.people.merge.access import MERGE_ACTION, MERGE_CAPABILITY, mergeable_persons
from epitrace.people.merge.choices import DuplicateSource, DuplicateStatus
from epitrace.people.models import (
    ContactPoint,
    Person,
    PersonIdentifier,
    PersonMerge,
    PossibleDuplicate,
)
from epitrace.portal.models import PortalLink

MIN_REASON = 10

# The tables whose rows follow a person through a merge: moves key -> (model, person field).
# Cases are handled apart (episodes) and so are wards (a self-reference).
MOVED: dict[str, tuple[type[models.Model], str]] = {
    "lab_results": (LabResult, "person"),
    "exposures": (Exposure, "contact"),
    "identifiers": (PersonIdentifier, "person"),
    "contact_points": (ContactPoint, "person"),
    "shares": (RecordShare, "person"),
    "transfers": (Transfer, "person"),
    # Messages sent and received stay part of the person's history.
    "outbox_messages": (OutboxMessage, "person"),
    "inbound_messages": (InboundMessage, "person"),
    "checkin_answers": (CheckInAnswer, "person"),
    "checkin_answers_reported": (CheckInAnswer, "reporter"),
    # A link already sent keeps working: it now opens the surviving record.
    "portal_links": (PortalLink, "person"),
}
# Fields copied into the survivor when the survivor has none; each alone.
FILLED_ALONE = ("middle_name", "suffix", "birth_date", "race", "ethnicity", "deceased_date")
# Fields copied only together, and only when the survivor has no address at all.
ADDRESS = ("street", "unit", "city", "state", "postcode", "county", "town", "address_status")
GUARDIAN = ("guardian", "guardian_relation")
PAIR_DECISION = ("status", "decided_by", "decided_at", "reason")


# --- Merge ------------------------------------------------------------------------------


@transaction.atomic
def do_merge(
    survivor_id: int,
    absorbed_id: int,
    *,
    acting_user: Any,
    reason: str,
    request: Any = None,
) -> PersonMerge:
    """Absorb one person into another, keeping every record of both.

    Raises ``Person.DoesNotExist`` when either person is out of the user's
    reach, missing or already absorbed (the view's 404), ``ValidationError``
    when the merge is refused.
    """
    reason = _clean_reason(reason)
    if survivor_id == absorbed_id:
        raise ValidationError("A person cannot be merged with themselves.")
    survivor, absorbed = _lock_pair(acting_user, survivor_id, absorbed_id)
    _refuse_contact_of_self(survivor, absorbed)
    moves: dict[str, Any] = {"cases": _move_cases(absorbed, survivor)}
    stayed: dict[str, list[dict[str, int | None]]] = {}
    for key, (model, field) in MOVED.items():
        moves[key], stayed[key] = _move_rows(model, field, absorbed, survivor)
    moves["wards"], stayed["wards"] = _move_wards(absorbed, survivor)
    moves["stayed"] = {key: rows for key, rows in stayed.items() if rows}
    before = snapshot(survivor)
    moves["filled"] = _fill_fields(survivor, absorbed)
    duplicate, moves["pair"] = _decide_pair(survivor.pk, absorbed.pk, acting_user, reason)
    merge = PersonMerge.objects.create(
        survivor=survivor,
        merged=absorbed,
        duplicate=duplicate,
        merged_by=acting_user,
        reason=reason,
        moves=moves,
    )
    _audit_merge(merge, acting_user, request, before)
    return merge


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": f"Give a reason of at least {MIN_REASON} characters."})
    return reason


def _lock_pair(user: Any, survivor_id: int, absorbed_id: int) -> tuple[Person, Person]:
    """Both persons, locked, if the user may change both and neither is absorbed."""
    ids = sorted({survivor_id, absorbed_id})  # one lock order: no deadlock between two merges
    found = {
        p.pk: p
        for p in Person.objects.restrict(user, MERGE_ACTION)
        .filter(pk__in=ids)
        .order_by("pk")
        .select_for_update()
    }
    # Checked in a new statement after the locks are held: a concurrent merge of
    # either person has committed by now (its marker is visible) or waits on us.
    absorbed_ids = PersonMerge.objects.filter(merged_id__in=ids, unmerged_at__isnull=True)
    if len(found) != len(ids) or absorbed_ids.exists():
        raise Person.DoesNotExist("No such person.")
    return found[survivor_id], found[absorbed_id]


def _refuse_contact_of_self(survivor: Person, absorbed: Person) -> None:
    """One named as a contact of the other's case: two people, or a data-entry error."""
    pair = [survivor.pk, absorbed.pk]
    crossed = Exposure.objects.filter(contact_id__in=pair, case__person_id__in=pair).exclude(
        contact_id=models.F("case__person_id")
    )
    if crossed.exists():
        raise ValidationError(
            "One of these persons is recorded as a contact of the other's case: "
            "they are most likely two people. Correct the exposure first if not."
        )


def _move_cases(absorbed: Person, survivor: Person) -> list[dict[str, Any]]:
    """Re-point the absorbed person's cases, renumbering episodes of a shared disease."""
    taken: dict[int, int] = {}  # disease -> the survivor's highest episode
    for disease_id, episode in Case.objects.filter(person=survivor).values_list(
        "disease_id", "episode"
    ):
        taken[disease_id] = max(episode, taken.get(disease_id, 0))
    moved: list[dict[str, Any]] = []
    cases = Case.objects.filter(person=absorbed).order_by("disease_id", "episode", "pk")
    renumbered: dict[int, int] = {}  # disease -> episodes given so far
    now = timezone.now()
    for case_id, disease_id, episode in cases.values_list("pk", "disease_id", "episode"):
        new = episode
        if disease_id in taken:
            # The survivor had this disease: the (person, disease, episode) key would
            # clash, so these episodes come after the survivor's, in their order.
            renumbered[disease_id] = renumbered.get(disease_id, 0) + 1
            new = taken[disease_id] + renumbered[disease_id]
        Case.objects.filter(pk=case_id).update(person=survivor, episode=new, updated_at=now)
        moved.append({"id": case_id, "episode": [episode, new]})
    return moved


def _move_rows(
    model: type[models.Model], field: str, absorbed: Person, survivor: Person
) -> tuple[list[int], list[dict[str, int | None]]]:
    """Re-point rows of ``model`` except those that would break a uniqueness rule."""
    rows = model._default_manager.filter(**{field: absorbed})
    clashes = _clashes(model, rows, survivor)
    moved = sorted(set(rows.values_list("pk", flat=True)) - set(clashes))
    changes: dict[str, Any] = {field: survivor}
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        changes["updated_at"] = timezone.now()
    model._default_manager.filter(pk__in=moved).update(**changes)
    stayed: list[dict[str, int | None]] = [
        {"id": pk, "same_as": kept} for pk, kept in sorted(clashes.items())
    ]
    return moved, stayed


def _clashes(
    model: type[models.Model], rows: models.QuerySet[Any], survivor: Person
) -> dict[int, int]:
    """Absorbed row id -> the survivor's row it duplicates, for unique-per-person tables."""
    keys: tuple[str, ...]
    if model is ContactPoint:
        keys = ("kind", "value")
        theirs = model._default_manager.filter(person=survivor)
    elif model is Exposure:
        keys = ("case_id",)
        theirs = model._default_manager.filter(contact=survivor)
    elif model is RecordShare:
        keys = ("jurisdiction_id",)
        rows = rows.filter(revoked_at__isnull=True)  # revoked shares never clash
        theirs = model._default_manager.filter(person=survivor, revoked_at__isnull=True)
    else:
        return {}
    kept = {tuple(values[:-1]): values[-1] for values in theirs.values_list(*keys, "pk")}
    return {
        values[-1]: kept[tuple(values[:-1])]
        for values in rows.values_list(*keys, "pk")
        if tuple(values[:-1]) in kept
    }


def _move_wards(
    absorbed: Person, survivor: Person
) -> tuple[list[int], list[dict[str, int | None]]]:
    """The absorbed person's wards get the survivor as guardian (not the survivor itself)."""
    wards = Person.objects.filter(guardian=absorbed)
    moved = sorted(wards.exclude(pk=survivor.pk).values_list("pk", flat=True))
    Person.objects.filter(pk__in=moved).update(guardian=survivor, updated_at=timezone.now())
    # The survivor as the absorbed person's ward would become its own guardian.
    stayed = [{"id": survivor.pk, "same_as": None}] if survivor.guardian_id == absorbed.pk else []
    return moved, stayed


def _fill_fields(survivor: Person, absorbed: Person) -> dict[str, list[Any]]:
    """Fill the survivor's empty fields from the absorbed person; ``{attname: [before, after]}``."""
    names = [name for name in FILLED_ALONE if _empty(survivor, name)]
    if survivor.sex == Sex.UNKNOWN and absorbed.sex != Sex.UNKNOWN:
        names.append("sex")
    if _no_address(survivor) and not _no_address(absorbed):
        names.extend(ADDRESS)
    if survivor.guardian_id is None and absorbed.guardian_id not in (None, survivor.pk):
        names.extend(GUARDIAN)
    names = [name for name in names if not _empty(absorbed, name) or name in ADDRESS]
    if not names:
        return {}
    before = snapshot(survivor, names)
    for name in names:
        setattr(survivor, name, getattr(absorbed, name))
    survivor.save(update_fields=[*names, "updated_at"])
    after = snapshot(survivor, names)
    return {key: [before[key], after[key]] for key in before if before[key] != after[key]}


def _empty(person: Person, name: str) -> bool:
    return getattr(person, name) in (None, "")


def _no_address(person: Person) -> bool:
    return all(_empty(person, name) for name in ("street", "city", "postcode", "town"))


def _decide_pair(
    survivor_id: int, absorbed_id: int, acting_user: Any, reason: str
) -> tuple[PossibleDuplicate | None, dict[str, Any] | None]:
    """Mark the pair's queue entry merged, if the matcher had proposed it.

    Returns the entry and its decision before, so an unmerge puts it back as
    it was (open, or even "not the same" if a person merged against that).
    """
    low, high = sorted((survivor_id, absorbed_id))
    duplicate = (
        PossibleDuplicate.objects.select_for_update().filter(person_a=low, person_b=high).first()
    )
    if duplicate is None:
        return None, None
    before = snapshot(duplicate, PAIR_DECISION)
    _decide(duplicate, DuplicateStatus.MERGED, acting_user, reason)
    return duplicate, before


def _audit_merge(
    merge: PersonMerge, acting_user: Any, request: Any, before: Mapping[str, Any]
) -> None:
    """One merge event on each person, one event per re-pointed row, the filled fields."""
    survivor, absorbed = merge.survivor, merge.merged
    common = {"operation": "merge", "merge_id": merge.pk}
    record(
        Action.MERGE,
        actor=acting_user,
        obj=survivor,
        request=request,
        reason=merge.reason,
        payload={**common, "absorbed_id": absorbed.pk, "moves": merge.moves},
    )
    record(
        Action.MERGE,
        actor=acting_user,
        obj=absorbed,
        request=request,
        reason=merge.reason,
        payload={**common, "survivor_id": survivor.pk},
    )
    _audit_rows(merge.moves, acting_user, request, merge.reason, absorbed.pk, survivor.pk)
    if merge.moves["filled"]:
        record_change(acting_user, survivor, before, snapshot(survivor), request=request)


def _audit_rows(
    moves: Mapping[str, Any],
    acting_user: Any,
    request: Any,
    reason: str,
    source: int,
    target: int,
) -> None:
    """One update event per re-pointed row, naming the person it now belongs to."""
    refs: list[ObjectRef] = []
    payloads: list[dict[str, Any]] = []
    for key, ids in _moved_ids(moves):
        model, field = _table(key)
        for pk in ids:
            refs.append(ObjectRef(model._meta.label_lower, pk, person_id=target))
            payloads.append({"changes": {f"{field}_id": [source, target]}})
    if refs:
        record_bulk(
            acting_user, Action.UPDATE, refs, request=request, reason=reason, payloads=payloads
        )


def _moved_ids(moves: Mapping[str, Any]) -> Iterable[tuple[str, list[int]]]:
    yield "cases", [row["id"] for row in moves.get("cases", [])]
    for key in (*MOVED, "wards"):
        yield key, list(moves.get(key, []))


def _table(key: str) -> tuple[type[models.Model], str]:
    if key == "cases":
        return Case, "person"
    if key == "wards":
        return Person, "guardian"
    return MOVED[key]


# --- Unmerge ----------------------------------------------------------------------------


@transaction.atomic
def do_unmerge(merge_id: int, *, acting_user: Any, reason: str, request: Any = None) -> PersonMerge:
    """Undo a merge: every moved row back, episodes and filled fields restored.

    Raises ``PersonMerge.DoesNotExist`` when the merge is out of the user's
    reach, ``ValidationError`` when it is already undone or cannot be split
    cleanly (the module docstring gives the rule); nothing changes then.
    """
    reason = _clean_reason(reason)
    merge = _lock_merge(acting_user, merge_id)
    if not merge.is_active:
        raise ValidationError("This merge has already been undone.")
    survivor, absorbed = merge.survivor, merge.merged
    _refuse_unclean_split(merge)
    moves = merge.moves
    now = timezone.now()
    for row in moves.get("cases", []):
        Case.objects.filter(pk=row["id"]).update(
            person=absorbed, episode=row["episode"][0], updated_at=now
        )
    for key, (model, field) in MOVED.items():
        changes: dict[str, Any] = {field: absorbed}
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            changes["updated_at"] = now
        model._default_manager.filter(pk__in=moves.get(key, [])).update(**changes)
    Person.objects.filter(pk__in=moves.get("wards", [])).update(guardian=absorbed, updated_at=now)
    kept = _restore_fields(survivor, moves.get("filled", {}))
    _restore_pair(merge)
    merge.unmerged_at, merge.unmerged_by, merge.unmerge_reason = now, acting_user, reason
    merge.save(update_fields=["unmerged_at", "unmerged_by", "unmerge_reason"])
    _audit_unmerge(merge, acting_user, request, kept)
    return merge


def _lock_merge(user: Any, merge_id: int) -> PersonMerge:
    """The merge, locked, if the user may change the survivor and the absorbed person."""
    merge = (
        PersonMerge.objects.select_for_update()
        .select_related("survivor", "merged")
        .get(pk=merge_id)
    )
    survivor = Person.objects.restrict(user, MERGE_ACTION).filter(pk=merge.survivor_id)
    ids = visible_jurisdiction_ids(user, MERGE_CAPABILITY)
    # The absorbed person is hidden while absorbed: judge it by where it lives.
    absorbed_in_reach = ids is None or merge.merged.jurisdiction_id in ids
    if not (survivor.exists() and absorbed_in_reach):
        raise PersonMerge.DoesNotExist("No such merge.")
    return merge


def _refuse_unclean_split(merge: PersonMerge) -> None:
    problems = _split_problems(merge)
    if problems:
        raise ValidationError(["This merge cannot be undone cleanly.", *problems])


def _split_problems(merge: PersonMerge) -> list[str]:
    """Why the records can no longer be split back into two persons, if they cannot."""
    survivor_id, absorbed_id, moves = merge.survivor_id, merge.merged_id, merge.moves
    problems: list[str] = []
    if PersonMerge.objects.filter(merged_id=survivor_id, unmerged_at__isnull=True).exists():
        problems.append("The survivor was merged into another person since: undo that first.")
    back_cases = [row["id"] for row in moves.get("cases", [])]
    for key, ids in _moved_ids(moves):
        model, field = _table(key)
        elsewhere = model._default_manager.filter(pk__in=ids).exclude(
            **{f"{field}_id": survivor_id}
        )
        if elsewhere.exists():
            problems.append(f"Some {key.replace('_', ' ')} moved to another person since.")
    for row in moves.get("cases", []):
        taken = Case.objects.filter(person_id=absorbed_id, episode=row["episode"][0]).filter(
            disease_id=Case.objects.filter(pk=row["id"]).values("disease_id")[:1]
        )
        if taken.exists():
            problems.append(f"A case with the episode of case {row['id']} was added since.")
    problems += _crossed_links(survivor_id, back_cases, moves)
    return problems


def _crossed_links(survivor_id: int, back_cases: list[int], moves: Mapping[str, Any]) -> list[str]:
    """Links made since the merge between one person's result or exposure and the other's case."""
    back_labs = moves.get("lab_results", [])
    back_exposures = moves.get("exposures", [])
    staying_cases = Case.objects.filter(person_id=survivor_id).exclude(pk__in=back_cases)
    problems = []
    labs = LabResult.objects.filter(
        models.Q(pk__in=back_labs, case__in=staying_cases)
        | (models.Q(person_id=survivor_id, case_id__in=back_cases) & ~models.Q(pk__in=back_labs))
    )
    if labs.exists():
        problems.append("A lab result now links to a case of the other person: unlink it first.")
    exposures = Exposure.objects.filter(
        models.Q(pk__in=back_exposures, resulting_case__in=staying_cases)
        | (
            models.Q(contact_id=survivor_id, resulting_case_id__in=back_cases)
            & ~models.Q(pk__in=back_exposures)
        )
    )
    if exposures.exists():
        problems.append("An exposure now leads to a case of the other person: correct it first.")
    return problems


def _restore_fields(survivor: Person, filled: Mapping[str, list[Any]]) -> list[str]:
    """Put back the survivor's values before the merge; a field edited since keeps its value."""
    current = snapshot(survivor, filled)
    restore = [name for name, (_, after) in filled.items() if current.get(name) == after]
    for name in restore:
        setattr(survivor, name, filled[name][0])
    if restore:
        survivor.save(update_fields=[*restore, "updated_at"])
    return sorted(set(filled) - set(restore))


def _restore_pair(merge: PersonMerge) -> None:
    """The queue entry the merge decided gets its decision from before (usually open)."""
    before = merge.moves.get("pair")
    if merge.duplicate_id is None or not before:
        return
    decided_at = before["decided_at"]
    PossibleDuplicate.objects.filter(pk=merge.duplicate_id).update(
        status=before["status"],
        decided_by_id=before["decided_by_id"],
        decided_at=dt.datetime.fromisoformat(decided_at) if decided_at else None,
        reason=before["reason"],
    )


def _audit_unmerge(merge: PersonMerge, acting_user: Any, request: Any, kept: list[str]) -> None:
    common = {"operation": "unmerge", "merge_id": merge.pk, "kept_edited_fields": kept}
    for person, other in ((merge.survivor, merge.merged), (merge.merged, merge.survivor)):
        record(
            Action.UNMERGE,
            actor=acting_user,
            obj=person,
            request=request,
            reason=merge.unmerge_reason,
            payload={**common, "other_id": other.pk},
        )
    _audit_rows(
        merge.moves,
        acting_user,
        request,
        merge.unmerge_reason,
        merge.survivor_id,
        merge.merged_id,
    )


# --- The queue --------------------------------------------------------------------------


def propose_duplicate(
    a: int, b: int, score: float, explanation: Mapping[str, Any], source: str
) -> PossibleDuplicate | None:
    """Put a grey-zone pair in the queue, once; the matcher calls this.

    Idempotent: an open pair gets the latest score and explanation. Does
    nothing (returns None) for a pair a person marked "not the same", a pair
    already merged, or a pair with an absorbed person. ``explanation`` is the
    matcher's ``Explanation`` as a mapping (``dataclasses.asdict``).
    """
    if a == b:
        return None
    low, high = sorted((int(a), int(b)))
    if not 0 <= score <= 1 or source not in DuplicateSource.values:
        raise ValueError("score must lie in [0, 1] and source be a DuplicateSource")
    with transaction.atomic():
        absorbed = PersonMerge.objects.filter(merged_id__in=(low, high), unmerged_at__isnull=True)
        if absorbed.exists():
            return None
        duplicate, created = PossibleDuplicate.objects.select_for_update().get_or_create(
            person_a_id=low,
            person_b_id=high,
            defaults={"score": score, "explanation": dict(explanation), "source": source},
        )
        if created:
            return duplicate
        if duplicate.status != DuplicateStatus.OPEN:
            return None
        duplicate.score, duplicate.explanation = score, dict(explanation)
        duplicate.save(update_fields=["score", "explanation"])
        return duplicate


def remembered_not_same(a: int, b: int) -> bool:
    """Whether a person decided these two are not the same; the matcher must not link them."""
    low, high = sorted((int(a), int(b)))
    return PossibleDuplicate.objects.filter(
        person_a_id=low, person_b_id=high, status=DuplicateStatus.NOT_SAME
    ).exists()


@transaction.atomic
def do_mark_not_same(
    duplicate_id: int, *, acting_user: Any, reason: str, request: Any = None
) -> PossibleDuplicate:
    """Decide that an open pair is two people; remembered for the matcher."""
    reason = _clean_reason(reason)
    people = mergeable_persons(acting_user).values("pk")
    duplicate = (
        PossibleDuplicate.objects.select_for_update()
        .filter(person_a__in=people, person_b__in=people)
        .get(pk=duplicate_id)
    )
    if duplicate.status != DuplicateStatus.OPEN:
        raise ValidationError("This pair has already been decided.")
    _decide(duplicate, DuplicateStatus.NOT_SAME, acting_user, reason)
    for person_id in (duplicate.person_a_id, duplicate.person_b_id):
        record(
            Action.UPDATE,
            actor=acting_user,
            obj=ObjectRef("people.possibleduplicate", duplicate.pk, person_id=person_id),
            request=request,
            reason=reason,
            payload={"changes": {"status": [DuplicateStatus.OPEN, DuplicateStatus.NOT_SAME]}},
        )
    return duplicate


def _decide(duplicate: PossibleDuplicate, status: str, acting_user: Any, reason: str) -> None:
    duplicate.status = status
    duplicate.decided_by = acting_user
    duplicate.decided_at = timezone.now()
    duplicate.reason = reason
    duplicate.save(update_fields=["status", "decided_by", "decided_at", "reason"])
