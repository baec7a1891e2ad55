"""Merge and unmerge: nothing of either person is lost, and an unmerge is exact."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q

from epitrace.audit.models import AuditEvent
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.jurisdictions.models import RecordShare, Transfer
from epitrace.labs.models import LabResult
from epitrace.people.merge.access import mergeable_persons
from epitrace.people.merge.services import MOVED, do_merge, do_unmerge
from epitrace.people.models import (
    ContactPoint,
    Person,
    PersonIdentifier,
    PersonMatchKey,
    PersonMerge,
    PossibleDuplicate,
    not_absorbed_q,
)
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

REASON = "Same name, birth date and phone; the lab sent a typo."

# Every table with a person, and the columns that say whose a row is.
TABLES: dict[type[Any], tuple[str, ...]] = {
    Case: ("person_id", "disease_id", "episode", "jurisdiction_id"),
    LabResult: ("person_id", "case_id", "jurisdiction_id"),
    Exposure: ("case_id", "contact_id", "resulting_case_id", "jurisdiction_id"),
    PersonIdentifier: ("person_id", "authority", "type_code", "value"),
    ContactPoint: ("person_id", "kind", "value"),
    RecordShare: ("person_id", "jurisdiction_id", "revoked_at"),
    Transfer: ("person_id", "from_jurisdiction_id", "to_jurisdiction_id"),
    Person: ("guardian_id", "middle_name", "birth_date", "street", "city", "jurisdiction_id"),
}

# Merging is for supervisors and up: the LHD tracers supervise too here.
pytestmark = pytest.mark.usefixtures("supervisors")


def state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a merge touches: ids and foreign keys."""
    return {
        model.__name__: sorted(model.objects.values_list("pk", *columns))
        for model, columns in TABLES.items()
    }


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.fixture
def pair(personas: Personas) -> tuple[Person, Person]:
    """Two records of one woman in LHD-A, with every kind of record and every clash."""
    a = personas.a
    survivor = a.person
    survivor.middle_name = ""
    survivor.save(update_fields=["middle_name"])
    absorbed = f.PersonFactory.create(
        jurisdiction=a.jurisdiction,
        given_name="Maria",
        middle_name="Luz",
        family_name="Alvarez",
        birth_date=survivor.birth_date,
    )
    # Same disease, episode 1 on both: the absorbed case must be renumbered.
    case = f.CaseFactory.create(person=absorbed, report_date=dt.date(2021, 3, 1))
    f.LabResultFactory.create(person=absorbed, case=case)
    f.LabResultFactory.create(person=absorbed)
    # Both named as contacts of the same case: the unique (case, contact) clashes.
    other_case = f.CaseFactory.create(person=f.PersonFactory.create(jurisdiction=a.jurisdiction))
    f.ExposureFactory.create(case=other_case, contact=survivor)
    f.ExposureFactory.create(case=other_case, contact=absorbed)
    f.ExposureFactory.create(contact=absorbed, case__person__jurisdiction=a.jurisdiction)
    PersonIdentifier.objects.create(person=absorbed, authority="RRH", value="MRN-77")
    same_phone = survivor.contact_points.get().value
    ContactPoint.objects.create(person=absorbed, kind="phone", value=same_phone)
    ContactPoint.objects.create(person=absorbed, kind="email", value="maria@example.org")
    college = f.JurisdictionFactory.create()
    for person in (survivor, absorbed):
        RecordShare.objects.create(
            person=person, jurisdiction=college, reason="cluster", created_by=a.tracer
        )
    RecordShare.objects.create(
        person=absorbed, jurisdiction=personas.b.jurisdiction, reason="x", created_by=a.tracer
    )
    Transfer.objects.create(
        person=absorbed,
        from_jurisdiction=personas.b.jurisdiction,
        to_jurisdiction=a.jurisdiction,
        reason="moved",
        moved_by=a.tracer,
    )
    f.PersonFactory.create(jurisdiction=a.jurisdiction, guardian=absorbed)
    PossibleDuplicate.objects.create(
        person_a=min(survivor, absorbed, key=lambda p: p.pk),
        person_b=max(survivor, absorbed, key=lambda p: p.pk),
        score=0.8,
        source="import",
    )
    return survivor, absorbed


def test_merge_keeps_every_row_and_unmerge_restores_them_exactly(
    personas: Personas, pair: tuple[Person, Person]
) -> None:
    survivor, absorbed = pair
    before, rows_before = state(), counts()

    merge = do_merge(survivor.pk, absorbed.pk, acting_user=personas.a.tracer, reason=REASON)

    assert counts() == rows_before  # nothing deleted, nothing created
    assert Case.objects.filter(person=absorbed).count() == 0
    assert LabResult.objects.filter(person=absorbed).count() == 0
    assert PersonIdentifier.objects.filter(person=absorbed).count() == 0
    assert Transfer.objects.filter(person=absorbed).count() == 0
    assert not Person.objects.filter(guardian=absorbed).exists()
    # What would break a uniqueness rule stayed, untouched, on the absorbed person.
    stayed = merge.moves["stayed"]
    assert len(stayed["contact_points"]) == len(stayed["exposures"]) == len(stayed["shares"]) == 1
    assert ContactPoint.objects.filter(person=absorbed).count() == 1
    assert Exposure.objects.filter(contact=absorbed).count() == 1
    assert RecordShare.objects.filter(person=absorbed).count() == 1
    survivor.refresh_from_db()
    assert survivor.middle_name == "Luz"
    assert merge.moves["filled"]["middle_name"] == ["", "Luz"]
    pair_row = PossibleDuplicate.objects.get()
    assert pair_row.status == "merged"
    assert pair_row.decided_by == personas.a.tracer

    do_unmerge(merge.pk, acting_user=personas.a.tracer, reason="Two sisters, not one person.")

    assert state() == before
    assert PossibleDuplicate.objects.get().status == "open"
    assert PossibleDuplicate.objects.get().decided_at is None


def test_episode_clash_is_renumbered_and_restored(
    personas: Personas, pair: tuple[Person, Person]
) -> None:
    survivor, absorbed = pair
    case = Case.objects.get(person=absorbed)
    assert case.episode == 1 == Case.objects.get(person=survivor).episode

    merge = do_merge(survivor.pk, absorbed.pk, acting_user=personas.a.tracer, reason=REASON)
    case.refresh_from_db()
    assert (case.person_id, case.episode) == (survivor.pk, 2)
    assert {"id": case.pk, "episode": [1, 2]} in merge.moves["cases"]

    do_unmerge(merge.pk, acting_user=personas.a.tracer, reason="Two sisters, not one person.")
    case.refresh_from_db()
    assert (case.person_id, case.episode) == (absorbed.pk, 1)


def test_exposure_clash_keeps_both_rows_and_is_restored(
    personas: Personas, pair: tuple[Person, Person]
) -> None:
    survivor, absorbed = pair
    clash = Exposure.objects.get(contact=absorbed, case__exposures__contact=survivor)
    kept = Exposure.objects.get(contact=survivor, case=clash.case)

    merge = do_merge(survivor.pk, absorbed.pk, acting_user=personas.a.tracer, reason=REASON)
    assert merge.moves["stayed"]["exposures"] == [{"id": clash.pk, "same_as": kept.pk}]
    assert Exposure.objects.get(pk=clash.pk).contact_id == absorbed.pk
    assert clash.pk not in merge.moves["exposures"]

    do_unmerge(merge.pk, acting_user=personas.a.tracer, reason="Two sisters, not one person.")
    assert Exposure.objects.get(pk=clash.pk).contact_id == absorbed.pk
    assert Exposure.objects.get(pk=kept.pk).contact_id == survivor.pk


def test_the_absorbed_person_disappears_and_comes_back(
    personas: Personas, pair: tuple[Person, Person], merged_hidden: None, client: Any
) -> None:
    survivor, absorbed = pair
    tracer = personas.a.tracer
    merge = do_merge(survivor.pk, absorbed.pk, acting_user=tracer, reason=REASON)

    assert not Person.objects.restrict(tracer, "view").filter(pk=absorbed.pk).exists()
    assert not mergeable_persons(tracer).filter(pk=absorbed.pk).exists()
    client.force_login(tracer)
    assert client.get(f"/people/{absorbed.pk}/").status_code == 404
    found = client.post("/people/", {"q": "Maria Alvarez"})
    assert f"/people/{survivor.pk}/" in found.content.decode()
    assert f"/people/{absorbed.pk}/" not in found.content.decode()

    do_unmerge(merge.pk, acting_user=tracer, reason="Two sisters, not one person.")
    assert Person.objects.restrict(tracer, "view").filter(pk=absorbed.pk).exists()


@pytest.fixture
def merged_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Person.scope_q`` with the one line the merge asks for (see the merge report)."""
    original = Person.scope_q.__func__  # type: ignore[attr-defined]

    def scope_q(cls: type[Person], ids: Any) -> Q:
        return original(cls, ids) & not_absorbed_q()

    monkeypatch.setattr(Person, "scope_q", classmethod(scope_q))


def test_merge_refusals(personas: Personas, pair: tuple[Person, Person]) -> None:
    survivor, absorbed = pair
    tracer = personas.a.tracer
    with pytest.raises(ValidationError):
        do_merge(survivor.pk, survivor.pk, acting_user=tracer, reason=REASON)
    with pytest.raises(ValidationError):
        do_merge(survivor.pk, absorbed.pk, acting_user=tracer, reason="short")
    with pytest.raises(Person.DoesNotExist):  # LHD-B cannot reach LHD-A's persons
        do_merge(survivor.pk, absorbed.pk, acting_user=personas.b.tracer, reason=REASON)
    do_merge(survivor.pk, absorbed.pk, acting_user=tracer, reason=REASON)
    with pytest.raises(Person.DoesNotExist):  # already absorbed: gone
        do_merge(survivor.pk, absorbed.pk, acting_user=tracer, reason=REASON)
    with pytest.raises(Person.DoesNotExist):
        do_merge(absorbed.pk, survivor.pk, acting_user=tracer, reason=REASON)


def test_a_contact_of_the_other_ones_case_is_not_merged(personas: Personas) -> None:
    a = personas.a
    with pytest.raises(ValidationError, match="contact of the other"):
        do_merge(a.person.pk, a.contact.pk, acting_user=a.tracer, reason=REASON)


def test_rows_added_after_the_merge_stay_with_the_survivor(
    personas: Personas, pair: tuple[Person, Person]
) -> None:
    survivor, absorbed = pair
    tracer = personas.a.tracer
    merge = do_merge(survivor.pk, absorbed.pk, acting_user=tracer, reason=REASON)
    later = f.LabResultFactory.create(person=survivor)

    do_unmerge(merge.pk, acting_user=tracer, reason="Two sisters, not one person.")
    assert LabResult.objects.get(pk=later.pk).person_id == survivor.pk


def test_unmerge_refuses_a_split_that_is_no_longer_clean(
    personas: Personas, pair: tuple[Person, Person]
) -> None:
    survivor, absorbed = pair
    tracer = personas.a.tracer
    moved_lab = LabResult.objects.filter(person=absorbed, case__isnull=True).get()
    merge = do_merge(survivor.pk, absorbed.pk, acting_user=tracer, reason=REASON)
    # Since the merge, the absorbed person's result was linked to the survivor's case.
    LabResult.objects.filter(pk=moved_lab.pk).update(case=personas.a.case)
    before = state()

    with pytest.raises(ValidationError, match="links to a case of the other"):
        do_unmerge(merge.pk, acting_user=tracer, reason="Two sisters, not one person.")
    assert state() == before
    assert PersonMerge.objects.get(pk=merge.pk).is_active


def test_unmerge_of_a_merge_whose_survivor_was_absorbed_since_is_refused(
    personas: Personas, pair: tuple[Person, Person]
) -> None:
    survivor, absorbed = pair
    tracer = personas.a.tracer
    first = do_merge(survivor.pk, absorbed.pk, acting_user=tracer, reason=REASON)
    third = f.PersonFactory.create(jurisdiction=personas.a.jurisdiction)
    second = do_merge(third.pk, survivor.pk, acting_user=tracer, reason=REASON)
    # The first merge's survivor is hidden now (absorbed): the merge is out of reach.
    with pytest.raises(PersonMerge.DoesNotExist):
        do_unmerge(first.pk, acting_user=tracer, reason="Two sisters, not one person.")
    do_unmerge(second.pk, acting_user=tracer, reason="Wrong merge, two people here.")
    do_unmerge(first.pk, acting_user=tracer, reason="Two sisters, not one person.")
    assert LabResult.objects.filter(person=absorbed).count() == 2


def test_an_undone_merge_cannot_be_undone_twice(
    personas: Personas, pair: tuple[Person, Person]
) -> None:
    survivor, absorbed = pair
    tracer = personas.a.tracer
    merge = do_merge(survivor.pk, absorbed.pk, acting_user=tracer, reason=REASON)
    do_unmerge(merge.pk, acting_user=tracer, reason="Two sisters, not one person.")
    with pytest.raises(ValidationError, match="already been undone"):
        do_unmerge(merge.pk, acting_user=tracer, reason="Two sisters, not one person.")


def test_merge_and_unmerge_are_audited(personas: Personas, pair: tuple[Person, Person]) -> None:
    survivor, absorbed = pair
    tracer = personas.a.tracer
    merge = do_merge(survivor.pk, absorbed.pk, acting_user=tracer, reason=REASON)
    do_unmerge(merge.pk, acting_user=tracer, reason="Two sisters, not one person.")

    events = AuditEvent.objects.filter(action__in=["merge", "unmerge"], actor=tracer)
    operations = {
        (event.person_id, json.loads(event.payload.body)["operation"]) for event in events
    }
    assert operations == {
        (survivor.pk, "merge"),
        (absorbed.pk, "merge"),
        (survivor.pk, "unmerge"),
        (absorbed.pk, "unmerge"),
    }
    assert events.filter(reason=REASON).count() == 2
    assert events.filter(action="unmerge").count() == 2
    moved_lab = merge.moves["lab_results"][0]
    assert (
        AuditEvent.objects.filter(
            action="update", object_type="labs.labresult", object_id=str(moved_lab)
        ).count()
        == 2
    )  # there and back


def test_every_relation_to_a_person_is_handled_by_the_merge() -> None:
    """A new table pointing at Person must be taught to the merge, or its rows would be lost."""
    handled = {(model, field) for model, field in MOVED.values()}
    handled |= {(Case, "person"), (Person, "guardian")}
    own = {PossibleDuplicate, PersonMerge}  # the merge's own bookkeeping
    # Blocking keys are derived from each person's own row: they stay with it
    # (the matcher skips absorbed persons; a survivor whose fields change is re-keyed).
    own |= {PersonMatchKey}
    relations = {
        (rel.related_model, rel.field.name)
        for rel in Person._meta.related_objects
        if rel.related_model not in own
    }
    assert relations <= handled, relations - handled
