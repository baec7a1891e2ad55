"""Blocking, estimation and decisions of the person matcher on synthetic persons.

The persons live in households (shared family name, address, often phone;
some twins), so these tests also check that relatives are not merged.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from functools import cache

from epitrace.people.linkage import blocking, model, synthetic
from epitrace.people.linkage.compare import FIELD_INDEX, FIELDS, compare
from epitrace.people.linkage.linker import REVIEW, Result, link, score
from epitrace.people.linkage.record import Record, build, from_row


@cache
def persons() -> tuple[list[synthetic.Person], list[Record]]:
    people = synthetic.population(200, seed=11)
    return people, [from_row(p.id, p.row()) for p in people]


@cache
def linked() -> Result:
    return link(persons()[1])


def true_pairs(people: list[synthetic.Person]) -> set[tuple[int, int]]:
    by_person: dict[int, list[int]] = defaultdict(list)
    for index, person in enumerate(people):
        by_person[person.person].append(index)
    return {(i, j) for group in by_person.values() for i in group for j in group if i < j}


def test_synthetic_population_has_duplicates_and_households() -> None:
    people, _ = persons()
    assert 400 < len(people) < 800
    assert len(true_pairs(people)) > 50
    households = Counter((p.street, p.postcode) for p in people)
    assert max(households.values()) >= 4


def test_blocking_finds_what_comparing_all_pairs_finds() -> None:
    _, records = persons()
    result = linked()
    n = len(records)
    candidates = blocking.dedup_pairs(records)
    naive = {
        (i, j)
        for i in range(n)
        for j in range(i + 1, n)
        if result.model.probability(compare(records[i], records[j])) >= REVIEW
    }
    assert naive
    assert all(i * n + j in candidates for i, j in naive)
    assert len(candidates) < n * (n - 1) / 2 / 20  # and compares a small share of them


def test_em_settles_with_agreement_more_likely_for_the_same_person() -> None:
    _, records = persons()
    candidates = blocking.dedup_pairs(records)
    n = len(records)
    counts = Counter(compare(records[k // n], records[k % n]) for k in candidates)
    unrelated = model.estimate_unrelated(
        Counter(compare(a, b) for a, b in itertools.pairwise(records))
    )
    same = model.start_same()
    fitted, iterations = model.fit(
        counts, [same, model.start_relatives(same, unrelated), unrelated], [0.1, 0.1, 0.8]
    )
    assert iterations < 300  # converged before the cap
    m, u = fitted.tables[model.SAME], unrelated
    for field in ("given_name", "family_name", "birth_date", "phone", "postcode"):
        f = FIELD_INDEX[field]
        assert m[f][0] > u[f][0], field  # exact agreement
        different = FIELDS[f].levels.index("different")
        assert m[f][different] < u[f][different], field


def test_duplicates_found_and_relatives_kept_apart() -> None:
    people, _ = persons()
    truth = true_pairs(people)
    found = {(link.a, link.b) for link in linked().links if link.decision == "match"}
    assert len(found & truth) / len(truth) >= 0.9
    false = found - truth
    assert len(false) <= max(1, len(found) // 100)


def test_explanation_adds_up_to_the_probability() -> None:
    _, records = persons()
    result = linked()
    best = max(result.links, key=lambda found: found.score)
    pattern = compare(records[best.a], records[best.b])
    explanation = result.model.explain(pattern)
    assert explanation.alternative in {"relatives", "unrelated"}
    assert {c.field for c in explanation.contributions} == {spec.name for spec in FIELDS}
    assert all(c.weight == 0 for c in explanation.contributions if c.level == "missing")
    # The sum against the likelier alternative gives the probability, up to
    # the share of the third hypothesis.
    assert abs(1 / (1 + 2**-explanation.total) - explanation.probability) < 0.05


def test_linking_two_lists_pairs_each_record_once() -> None:
    people, records = persons()
    left = [r for r, p in zip(records, people, strict=True) if "-d" not in p.id]
    right = [r for r, p in zip(records, people, strict=True) if "-d0" in p.id]
    result = link(left, right)
    matched = [(left[x.a].id, right[x.b].id) for x in result.links if x.decision == "match"]
    correct = [pair for pair in matched if pair[1].startswith(pair[0] + "-")]
    assert len(correct) >= 0.9 * len(right)
    assert len(matched) - len(correct) <= 1


def test_score_one_pair_for_the_merge_screen() -> None:
    fitted = linked().model
    ana = build("1", given_name="Ana", family_name="Lima", birth_date="1990-02-13")
    typo = build("2", given_name="Anna", family_name="Lima", birth_date="1990-02-31")
    same_number = build("3", given_name="Rui", identifiers=[("", "A-1")])
    assert score(fitted, ana, typo).probability > score(fitted, ana, same_number).probability
    numbered = build("4", given_name="Ana", identifiers=[("", "a1")])
    assert score(fitted, numbered, same_number).probability == 1.0
