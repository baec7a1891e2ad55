"""The possible-duplicates queue: proposals, decisions remembered, screens and their reach."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from epitrace.accounts.testing import StaffClient
from epitrace.people.merge.services import (
    do_mark_not_same,
    do_merge,
    propose_duplicate,
    remembered_not_same,
)
from epitrace.people.models import Person, PersonMerge, PossibleDuplicate
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas

REASON = "Same name, birth date and phone; the lab sent a typo."
EXPLANATION = {
    "alternative": "relatives",
    "prior": -3.1,
    "contributions": [
        {"field": "given_name", "level": "exact", "weight": 4.2},
        {"field": "birth_date", "level": "exact", "weight": 6.5},
        {"field": "phone", "level": "missing", "weight": 0.0},
    ],
}

# Merging is for supervisors and up: the LHD tracers supervise too here.
pytestmark = pytest.mark.usefixtures("supervisors")


def _twin(person: Person) -> Person:
    return f.PersonFactory.create(
        jurisdiction=person.jurisdiction,
        given_name=person.given_name,
        family_name=person.family_name,
        birth_date=person.birth_date,
    )


@pytest.fixture
def a_pair(personas: Personas) -> PossibleDuplicate:
    person = personas.a.person
    found = propose_duplicate(_twin(person).pk, person.pk, 0.72, EXPLANATION, "import")
    assert found is not None
    return found


def test_propose_orders_the_pair_and_is_idempotent(
    personas: Personas, a_pair: PossibleDuplicate
) -> None:
    assert a_pair.person_a_id < a_pair.person_b_id
    again = propose_duplicate(a_pair.person_b_id, a_pair.person_a_id, 0.75, EXPLANATION, "import")
    assert again is not None
    assert again.pk == a_pair.pk
    assert PossibleDuplicate.objects.count() == 1
    assert PossibleDuplicate.objects.get().score == 0.75
    assert propose_duplicate(a_pair.person_a_id, a_pair.person_a_id, 0.9, {}, "import") is None


def test_not_the_same_is_remembered_and_not_proposed_again(
    personas: Personas, a_pair: PossibleDuplicate
) -> None:
    a, b = a_pair.person_a_id, a_pair.person_b_id
    assert not remembered_not_same(a, b)
    do_mark_not_same(a_pair.pk, acting_user=personas.a.tracer, reason="Twins, says the mother.")

    assert remembered_not_same(b, a)
    assert propose_duplicate(a, b, 0.9, EXPLANATION, "batch_scan") is None
    row = PossibleDuplicate.objects.get()
    assert (row.status, row.score, row.decided_by) == ("not_same", 0.72, personas.a.tracer)


def test_a_pair_with_an_absorbed_person_is_not_proposed(personas: Personas) -> None:
    a = personas.a
    twin, third = _twin(a.person), f.PersonFactory.create(jurisdiction=a.jurisdiction)
    do_merge(a.person.pk, twin.pk, acting_user=a.tracer, reason=REASON)
    assert propose_duplicate(twin.pk, third.pk, 0.7, EXPLANATION, "portal") is None


def test_queue_lists_open_pairs_by_score_and_hides_other_jurisdictions(
    client: Client, personas: Personas, a_pair: PossibleDuplicate
) -> None:
    b_person = personas.b.person
    propose_duplicate(b_person.pk, _twin(b_person).pk, 0.9, EXPLANATION, "import")
    higher = propose_duplicate(
        personas.a.contact.pk, _twin(personas.a.contact).pk, 0.95, {}, "import"
    )
    assert higher is not None

    client.force_login(personas.a.tracer)
    page = client.get("/people/duplicates/").content.decode()
    assert page.index(f"/people/duplicates/{higher.pk}/") < page.index(
        f"/people/duplicates/{a_pair.pk}/"
    )
    assert "Brzezinski" not in page

    client.force_login(personas.state_epi)
    page = client.get("/people/duplicates/").content.decode()
    assert "Brzezinski" in page
    assert "Alvarez" in page


def test_compare_shows_both_records_and_the_explanation(
    client: Client, personas: Personas, a_pair: PossibleDuplicate
) -> None:
    client.force_login(personas.a.tracer)
    response = client.get(f"/people/duplicates/{a_pair.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert personas.a.case.number in body  # the left or right person's case
    assert "6.50" in body  # the birth date's contribution
    assert "Merge into left" in body
    assert "Not the same person" in body


def test_merge_from_the_compare_screen(
    client: Client, personas: Personas, a_pair: PossibleDuplicate
) -> None:
    client.force_login(personas.a.tracer)
    url = f"/people/duplicates/{a_pair.pk}/"
    refused = client.post(url, {"decision": "merge_into_b", "reason": "same"})
    assert refused.status_code == 200
    assert not PersonMerge.objects.exists()

    response = client.post(url, {"decision": "merge_into_b", "reason": REASON})
    merge = PersonMerge.objects.get()
    assert (merge.survivor_id, merge.merged_id) == (a_pair.person_b_id, a_pair.person_a_id)
    assert response.status_code == 302
    assert response["Location"] == f"/people/{a_pair.person_b_id}/"
    assert client.get(url).status_code == 404  # the pair has an absorbed person now


def test_not_the_same_from_the_compare_screen(
    client: Client, personas: Personas, a_pair: PossibleDuplicate
) -> None:
    client.force_login(personas.a.tracer)
    response = client.post(
        f"/people/duplicates/{a_pair.pk}/", {"decision": "not_same", "reason": REASON}
    )
    assert response.status_code == 302
    assert remembered_not_same(a_pair.person_a_id, a_pair.person_b_id)


def test_unmerge_from_the_screen(
    client: Client, personas: Personas, a_pair: PossibleDuplicate
) -> None:
    tracer = personas.a.tracer
    merge = do_merge(a_pair.person_a_id, a_pair.person_b_id, acting_user=tracer, reason=REASON)
    client.force_login(tracer)
    response = client.post(
        f"/people/duplicates/merges/{merge.pk}/unmerge/", {"reason": "Two sisters, not one."}
    )
    assert response.status_code == 302
    assert not PersonMerge.objects.get().is_active
    assert PossibleDuplicate.objects.get().status == "open"


def _unmasked(content: bytes) -> bytes:
    # The CSRF token (logout form, htmx header) is masked anew on every response.
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", content)


def _csrf_client(user: Any) -> tuple[StaffClient, str]:
    client = StaffClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")
    return client, client.cookies["csrftoken"].value


def test_lhd_b_gets_404_on_an_lhd_a_pair_and_its_merge(
    personas: Personas, a_pair: PossibleDuplicate
) -> None:
    merge_pair = propose_duplicate(
        personas.a.contact.pk, _twin(personas.a.contact).pk, 0.8, {}, "contact_entry"
    )
    assert merge_pair is not None
    merge = do_merge(
        merge_pair.person_a_id,
        merge_pair.person_b_id,
        acting_user=personas.a.tracer,
        reason=REASON,
    )
    client, token = _csrf_client(personas.b.tracer)
    compare = f"/people/duplicates/{a_pair.pk}/"
    missing = f"/people/duplicates/{a_pair.pk + 1000}/"
    assert client.get(compare).status_code == 404
    assert _unmasked(client.get(compare).content) == _unmasked(client.get(missing).content)
    for decision in ("merge_into_a", "merge_into_b", "not_same"):
        response = client.post(
            compare, {"decision": decision, "reason": REASON}, HTTP_X_CSRFTOKEN=token
        )
        assert response.status_code == 404
    unmerge = f"/people/duplicates/merges/{merge.pk}/unmerge/"
    assert client.get(unmerge).status_code == 404
    assert client.post(unmerge, {"reason": REASON}, HTTP_X_CSRFTOKEN=token).status_code == 404
    assert PossibleDuplicate.objects.get(pk=a_pair.pk).status == "open"
    assert PersonMerge.objects.get().is_active


def test_methods_are_judged_after_the_lookup(
    client: Client, personas: Personas, a_pair: PossibleDuplicate
) -> None:
    client.force_login(personas.a.tracer)
    assert client.delete(f"/people/duplicates/{a_pair.pk}/").status_code == 405
    assert client.get("/people/duplicates/merges/1/unmerge/").status_code == 404
