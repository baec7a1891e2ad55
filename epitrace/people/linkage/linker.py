"""Linking lists of person records: blocking, comparison, estimation, decision.

One run: candidate pairs from the blocking passes; pairs holding the same
identifier under the same authority are the same person outright; every
candidate is compared into a pattern of field levels; the model is
estimated on those patterns (``u`` from random pairs, then EM); each pair's
probability decides between ``match``, ``review`` (the possible-duplicates
queue) and nothing (a new person).
"""

from __future__ import annotations

import random
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from epitrace.people.linkage import blocking, model
from epitrace.people.linkage.compare import compare, same_identifier
from epitrace.people.linkage.record import Record

# Above MATCH the pair is one person; from REVIEW up to MATCH a person looks
# at it. Probabilities, calibrated by the model on the data at hand.
MATCH = 0.95
REVIEW = 0.5
RANDOM_PAIRS = 20_000
SEED = 20_200_301  # fixed: the same input always gives the same pairs

# Given the number of pairs to compare, returns what to call as they are done.
Progress = Callable[[int], Callable[[int], None]]


@dataclass(frozen=True)
class Thresholds:
    match: float = MATCH
    review: float = REVIEW

    def decide(self, probability: float) -> str:
        if probability >= self.match:
            return "match"
        return "review" if probability >= self.review else "new"


@dataclass(frozen=True)
class Link:
    """A pair worth reporting: ``a`` and ``b`` index the input lists."""

    a: int
    b: int
    score: float
    decision: str  # match or review
    rule: str  # identifier or probabilistic


@dataclass
class Result:
    links: list[Link]
    candidate_pairs: int
    model: model.Model
    iterations: int
    counts: Counter[str] = field(default_factory=Counter)


def link(
    records_a: Sequence[Record],
    records_b: Sequence[Record] | None = None,
    *,
    thresholds: Thresholds = Thresholds(),
    progress: Progress | None = None,
) -> Result:
    """Duplicates within ``records_a`` or, given ``records_b``, pairs across."""
    dedup = records_b is None
    other = records_a if records_b is None else records_b
    width = len(other)
    candidates = sorted(
        blocking.dedup_pairs(records_a) if dedup else blocking.link_pairs(records_a, other)
    )
    keys, pattern_ids, patterns = _compare_all(records_a, other, width, candidates, progress)
    counts = Counter(pattern_ids)
    fitted, iterations = _estimate(
        {patterns[p]: c for p, c in counts.items()},
        model.estimate_unrelated(_random_patterns(records_a, other, dedup)),
        len(records_a),
        width,
        dedup,
    )
    scores = [fitted.probability(pattern) for pattern in patterns]
    links: list[Link] = []
    tally: Counter[str] = Counter()
    for key, pattern_id in zip(keys, pattern_ids, strict=True):
        i, j = divmod(key, width)
        score, rule = scores[pattern_id], "probabilistic"
        if same_identifier(records_a[i], other[j]):
            score, rule = 1.0, "identifier"
        decision = thresholds.decide(score)
        if decision != "new":
            links.append(Link(i, j, score, decision, rule))
            tally[decision] += 1
    return Result(links, len(candidates), fitted, iterations, tally)


def score(fitted: model.Model, a: Record, b: Record) -> model.Explanation:
    """One pair's probability and per-field evidence (for the merge screen
    and the importer), under a model estimated by :func:`link`."""
    explanation = fitted.explain(compare(a, b))
    if same_identifier(a, b):
        return replace(explanation, probability=1.0, alternative="same identifier")
    return explanation


def _estimate(
    counts: dict[model.Pattern, int], unrelated: model.Table, na: int, nb: int, dedup: bool
) -> tuple[model.Model, int]:
    """EM on the candidates' patterns, restated for any pair."""
    candidates = sum(counts.values())
    prior = _start_prior(na, nb, candidates, dedup)
    same = model.start_same()
    fitted, iterations = model.fit(
        counts, [same, model.start_relatives(same, unrelated), unrelated],
        [prior, prior, 1 - 2 * prior], fixed=(),
    )  # fmt: skip
    if not model.plausible(fitted):
        # EM settled on another structure (whole households as "one
        # person"): estimate the same-person shares on anchored pairs
        # instead, and let EM fit the rest around them.
        same = model.estimate_same(counts)
        fitted, more = model.fit(
            counts, [same, model.start_relatives(same, unrelated), unrelated],
            [prior, prior, 1 - 2 * prior],
        )  # fmt: skip
        iterations += more
    all_pairs = na * (na - 1) // 2 if dedup else na * nb
    return model.for_all_pairs(fitted, unrelated, candidates, all_pairs), iterations


def _compare_all(
    records_a: Sequence[Record],
    records_b: Sequence[Record],
    width: int,
    candidates: list[int],
    progress: Progress | None,
) -> tuple[list[int], array[int], list[model.Pattern]]:
    """Every candidate's pattern, stored once per distinct pattern: pairs
    keep a small integer id, so millions of pairs fit in little memory."""
    ids: dict[model.Pattern, int] = {}
    patterns: list[model.Pattern] = []
    pattern_ids = array("I")
    advance = progress(len(candidates)) if progress else None
    step = 10_000
    for start in range(0, len(candidates), step):
        for key in candidates[start : start + step]:
            i, j = divmod(key, width)
            pattern = compare(records_a[i], records_b[j])
            found = ids.get(pattern)
            if found is None:
                found = ids[pattern] = len(patterns)
                patterns.append(pattern)
            pattern_ids.append(found)
        if advance:
            advance(min(step, len(candidates) - start))
    return candidates, pattern_ids, patterns


def _random_patterns(
    records_a: Sequence[Record], records_b: Sequence[Record], dedup: bool
) -> Counter[model.Pattern]:
    """Patterns of random pairs: nearly all are two different people, which
    is what ``u`` describes."""
    rng = random.Random(SEED)  # noqa: S311 (sampling, not a secret)
    na, nb = len(records_a), len(records_b)
    found: Counter[model.Pattern] = Counter()
    all_pairs = na * (na - 1) // 2 if dedup else na * nb
    if all_pairs <= RANDOM_PAIRS:  # a small file: every pair, once
        for i in range(na):
            for j in range(i + 1 if dedup else 0, nb):
                found[compare(records_a[i], records_b[j])] += 1
        return found
    for _ in range(RANDOM_PAIRS):
        i, j = rng.randrange(na), rng.randrange(nb)
        if not (dedup and i == j):
            found[compare(records_a[i], records_b[j])] += 1
    return found


def _start_prior(na: int, nb: int, candidates: int, dedup: bool) -> float:
    """A first guess at the share of candidates that are true pairs: at most
    one partner per record in a link, a few duplicates per record in a list."""
    if not candidates:
        return 0.01
    expected = na / 2 if dedup else min(na, nb) / 2
    return min(0.3, max(1e-4, expected / candidates))
