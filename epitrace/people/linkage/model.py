"""Fellegi-Sunter scoring, with relatives told apart from the same person.

Classic Fellegi-Sunter compares two hypotheses for a pair, "same person"
(level shares ``m``) and "different people" (shares ``u``), and adds up
``log2(m / u)`` bits over the fields. That sum assumes the fields of two
different people agree independently, which households break: a parent and
child share the family name, the street, the town, the postcode and often
the phone, and summing those agreements as independent evidence turns every
household into a "match".

So the model keeps a third hypothesis, "relatives" (same household or
family): a pair is scored against both alternatives, and its probability of
being one person is ``P(same | levels)`` under the three-way mixture. Each
hypothesis still treats fields as independent *within* it, so a pair's
evidence stays a sum of per-field weights against its most likely
alternative (:meth:`Model.explain`), which is what the merge screen shows.

Shares start from random pairs (unrelated people), fixed conservative
guesses (same person) and a mix of the two (relatives: household fields
from the first, personal fields from the second), then expectation-
maximisation over the candidate pairs refines all three, so the weights fit
the data at hand: a file without households leaves the relatives
hypothesis nearly empty, one with many fills it. The model works on
comparison *patterns* (tuples of levels) with their counts: a few thousand
distinct patterns stand for millions of pairs, which keeps EM fast in
plain Python.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from epitrace.people.linkage.compare import FIELDS, FieldSpec

Pattern = tuple[int, ...]
Table = list[list[float]]  # [field][level] -> share; the missing level is 1.0

HYPOTHESES = ("same_person", "relatives", "unrelated")
SAME, RELATIVES, UNRELATED = range(3)
# Fields a household shares; the relatives hypothesis starts with them agreeing.
HOUSEHOLD = frozenset({"family_name", "phone", "street", "unit", "city", "postcode", "state"})

# Relatives are strangers on personal fields but for one thing: twins (and a
# child registered with a parent's date) share a birth date. Without this,
# twins in one household would look like one person with two given names.
TWINS = 0.02

# Pseudo-counts keep a level seen twice from getting a share of zero or one.
SMOOTHING = 0.5
# How many pairs the typical shares of FieldSpec are worth: a file of a few
# records is scored on them, a large one on its own figures.
PRIOR_SAME = 20.0
PRIOR_UNRELATED = 200.0
# No share below 2^-14: a single field then weighs at most ~14 bits either
# way, and one field never outweighs several that disagree.
FLOOR = 2.0**-14


@dataclass(frozen=True)
class Contribution:
    """What one field said about a pair, for the merge screen."""

    field: str
    level: str
    weight: float  # bits for "same person"; 0 when the value is missing


@dataclass(frozen=True)
class Explanation:
    probability: float
    alternative: str  # the likelier of "relatives" and "unrelated"
    prior: float  # bits: the odds before looking at any field
    contributions: tuple[Contribution, ...]

    @property
    def total(self) -> float:
        return self.prior + sum(c.weight for c in self.contributions)


class Model:
    def __init__(
        self, tables: Sequence[Table], priors: Sequence[float], fields: Sequence[FieldSpec] = FIELDS
    ) -> None:
        self.tables = [[list(row) for row in table] for table in tables]
        self.priors = list(priors)
        self.fields = fields
        # log2 shares, floored, per hypothesis, field and level.
        self._logs = [
            [[math.log2(max(share, FLOOR)) for share in row] for row in table]
            for table in self.tables
        ]
        self._cache: dict[Pattern, float] = {}

    def _bits(self, pattern: Pattern) -> list[float]:
        """log2(prior * likelihood) of the pattern under each hypothesis."""
        return [
            math.log2(prior) + sum(logs[f][level] for f, level in enumerate(pattern))
            for prior, logs in zip(self.priors, self._logs, strict=True)
        ]

    def probability(self, pattern: Pattern) -> float:
        cached = self._cache.get(pattern)
        if cached is None:
            cached = self._cache[pattern] = _posterior(self._bits(pattern))[SAME]
        return cached

    def explain(self, pattern: Pattern) -> Explanation:
        bits = self._bits(pattern)
        other = RELATIVES if bits[RELATIVES] > bits[UNRELATED] else UNRELATED
        same_logs, other_logs = self._logs[SAME], self._logs[other]
        contributions = tuple(
            Contribution(
                spec.name,
                spec.levels[level],
                round(same_logs[f][level] - other_logs[f][level], 2),
            )
            for f, (spec, level) in enumerate(zip(self.fields, pattern, strict=True))
        )
        return Explanation(
            probability=_posterior(bits)[SAME],
            alternative=HYPOTHESES[other],
            prior=round(math.log2(self.priors[SAME] / self.priors[other]), 2),
            contributions=contributions,
        )

    def level_weights(self, against: int = UNRELATED) -> dict[str, dict[str, float]]:
        """Bits of each field level for "same person" against one alternative."""
        same, other = self._logs[SAME], self._logs[against]
        return {
            spec.name: {
                name: round(same[f][level] - other[f][level], 2)
                for level, name in enumerate(spec.levels)
            }
            for f, spec in enumerate(self.fields)
        }


def _posterior(bits: list[float]) -> list[float]:
    top = max(bits)
    weights = [2.0 ** (b - top) for b in bits]
    total = sum(weights)
    return [w / total for w in weights]


# Outright disagreement the same person may show on a personal field. FEBRL's
# heavily corrupted duplicates reach 13% on the given name; a "same person"
# hypothesis beyond this is some other structure EM found (households).
PLAUSIBLE_DIFFERENT = 0.35


def plausible(fitted: Model) -> bool:
    """Does the fitted same-person hypothesis look like one person?"""
    return all(
        fitted.tables[SAME][f][spec.levels.index("different")] <= PLAUSIBLE_DIFFERENT
        for f, spec in enumerate(fitted.fields)
        if spec.name in ("given_name", "family_name", "birth_date")
    )


def start_same(fields: Sequence[FieldSpec] = FIELDS) -> Table:
    """Conservative first guesses of how often one person shows each level."""
    return [_spread(list(spec.m_start), spec) for spec in fields]


def start_relatives(same: Table, unrelated: Table, fields: Sequence[FieldSpec] = FIELDS) -> Table:
    """Relatives agree like one person on household fields, like strangers
    on personal ones."""
    return _relatives(same, unrelated, fields)


def estimate_unrelated(
    counts: Mapping[Pattern, int], fields: Sequence[FieldSpec] = FIELDS
) -> Table:
    """Level shares among random pairs, nearly all of them unrelated people."""
    tallies = [[0.0] * len(spec.levels) for spec in fields]
    for pattern, count in counts.items():
        for f, level in enumerate(pattern):
            tallies[f][level] += count
    return [
        _blend(tally, spec.u_start, PRIOR_UNRELATED, spec)
        for tally, spec in zip(tallies, fields, strict=True)
    ]


def estimate_same(counts: Mapping[Pattern, int], fields: Sequence[FieldSpec] = FIELDS) -> Table:
    """Level shares for one person, counted on anchored candidate pairs.

    A field's shares are counted on the pairs whose *other* identity fields
    agree exactly: the given name on pairs with the same family name and
    birth date, the birth date on pairs with the same two names, household
    fields on pairs agreeing on all three. Such pairs are nearly all one
    person, whatever the file holds besides: left free, EM on a file where
    households outnumber duplicates takes "same household" for "same
    person" and merges families.
    """
    given, family, birth = (
        next(i for i, spec in enumerate(fields) if spec.name == name)
        for name in ("given_name", "family_name", "birth_date")
    )
    tallies = [[0.0] * len(spec.levels) for spec in fields]
    for pattern, count in counts.items():
        agree = {f for f in (given, family, birth) if pattern[f] == 0}
        for f, level in enumerate(pattern):
            if agree >= {given, family, birth} - {f}:
                tallies[f][level] += count
    return [
        _blend(tally, spec.m_start, PRIOR_SAME, spec)
        for tally, spec in zip(tallies, fields, strict=True)
    ]


def for_all_pairs(fitted: Model, unrelated: Table, candidates: int, all_pairs: int) -> Model:
    """The model fitted on candidate pairs, restated for any pair.

    EM runs on candidates, where strangers agree far more often than at
    random (they were blocked together for sharing a birth date or a name
    sound), so its "unrelated" shares are skewed; random pairs give the
    true ones. Same-person and household shares carry over, and the priors
    are rescaled from the candidates to all pairs. A pair's probability is
    then the same whichever blocking pass found it.
    """
    scale = candidates / all_pairs if all_pairs else 1.0
    same, relatives = fitted.priors[SAME] * scale, fitted.priors[RELATIVES] * scale
    household = _relatives(fitted.tables[RELATIVES], unrelated, fitted.fields)
    return Model(
        [fitted.tables[SAME], household, unrelated],
        [same, relatives, max(1.0 - same - relatives, 1e-12)],
        fitted.fields,
    )


def fit(
    counts: Mapping[Pattern, int],
    tables: Sequence[Table],
    priors: Sequence[float],
    *,
    iterations: int = 300,
    tolerance: float = 1e-5,
    fixed: Sequence[int] = (SAME,),
    fields: Sequence[FieldSpec] = FIELDS,
) -> tuple[Model, int]:
    """Expectation-maximisation over pattern counts; returns the model and
    the number of iterations it took to settle (no share moving by more
    than ``tolerance``).

    Patterns are held column-wise (one list of levels per field) so each
    step is a handful of list comprehensions rather than nested loops.
    """
    patterns = list(counts)
    weights = [float(counts[p]) for p in patterns]
    total = sum(weights) or 1.0
    columns = [[pattern[f] for pattern in patterns] for f in range(len(fields))]
    # A field missing from every pair (no phone column) is left out of the
    # loop; its shares stay where they started.
    groups = {
        f: {
            level: [i for i, seen in enumerate(columns[f]) if seen == level]
            for level in spec.evidence
        }
        for f, spec in enumerate(fields)
        if any(level in spec.evidence for level in set(columns[f]))
    }
    current = Model(tables, priors, fields)
    done = 0
    while done < iterations:
        done += 1
        shares = _responsibilities(current, [(f, columns[f]) for f in groups], len(patterns))
        tallies: list[Table] = []
        mass = []
        for share in shares:
            weighted = [w * s for w, s in zip(weights, share, strict=True)]
            mass.append(sum(weighted))
            table = [[0.0] * len(spec.levels) for spec in fields]
            for f, by_level in groups.items():
                for level, members in by_level.items():
                    table[f][level] = sum(map(weighted.__getitem__, members))
            tallies.append(table)
        _tie_personal_fields(tallies, fields)
        new_tables = [
            [_smoothed(row, old, spec) for row, old, spec in zip(tally, table, fields, strict=True)]
            for tally, table in zip(tallies, current.tables, strict=True)
        ]
        for k in fixed:
            new_tables[k] = current.tables[k]
        new_tables[RELATIVES] = _relatives(new_tables[RELATIVES], new_tables[UNRELATED], fields)
        change = max(
            abs(a - b)
            for new, old in zip(new_tables, current.tables, strict=True)
            for new_row, old_row in zip(new, old, strict=True)
            for a, b in zip(new_row, old_row, strict=True)
        )
        current = Model(new_tables, [max(m / total, 1e-12) for m in mass], fields)
        if change < tolerance:
            break
    return current, done


def _responsibilities(
    model: Model, columns: list[tuple[int, list[int]]], size: int
) -> list[list[float]]:
    """P(hypothesis | pattern) for every pattern, one list per hypothesis."""
    bits = []
    for prior, logs in zip(model.priors, model._logs, strict=True):
        acc = [math.log2(prior)] * size
        for f, column in columns:
            field_logs = logs[f]
            acc = [a + field_logs[level] for a, level in zip(acc, column, strict=True)]
        bits.append(acc)
    tops = [max(values) for values in zip(*bits, strict=True)]
    exps = [[2.0 ** (b - t) for b, t in zip(row, tops, strict=True)] for row in bits]
    sums = [sum(values) for values in zip(*exps, strict=True)]
    return [[e / s for e, s in zip(row, sums, strict=True)] for row in exps]


def _tie_personal_fields(tallies: list[Table], fields: Sequence[FieldSpec]) -> None:
    """Relatives are, on personal fields (names, birth date, sex), as alike as
    any two people: pooling those tallies with the unrelated ones keeps the
    relatives hypothesis from drifting into "same person with typos"."""
    for f, spec in enumerate(fields):
        if spec.name in HOUSEHOLD:
            continue
        pooled = [a + b for a, b in zip(tallies[RELATIVES][f], tallies[UNRELATED][f], strict=True)]
        tallies[RELATIVES][f] = tallies[UNRELATED][f] = pooled


def _relatives(household: Table, strangers: Table, fields: Sequence[FieldSpec]) -> Table:
    """The relatives table: household fields from ``household``, personal
    fields from ``strangers``, the birth date allowing for twins."""
    table = []
    for f, spec in enumerate(fields):
        row = list(household[f] if spec.name in HOUSEHOLD else strangers[f])
        if spec.name == "birth_date" and row[0] < TWINS:
            others = [i for i in spec.evidence if i]
            rest = sum(row[i] for i in others) or 1.0
            for i in others:
                row[i] *= (1 - TWINS) / rest
            row[0] = TWINS
        table.append(row)
    return table


def _smoothed(tally: list[float], previous: list[float] | None, spec: FieldSpec) -> list[float]:
    """Shares of the evidence levels, pulled slightly toward the previous
    estimate (or toward uniform); neutral levels keep share 1 so they
    cancel out of every ratio."""
    evidence = spec.evidence
    known = [tally[i] for i in evidence]
    size = len(known)
    base = [previous[i] for i in evidence] if previous else [1.0 / size] * size
    pseudo = SMOOTHING * size
    total = sum(known) + pseudo
    return _spread(
        [(count + pseudo * b) / total for count, b in zip(known, base, strict=True)], spec
    )


def _blend(
    tally: list[float], typical: Sequence[float], weight: float, spec: FieldSpec
) -> list[float]:
    """Observed counts plus ``weight`` pairs' worth of the typical shares."""
    known = [tally[i] for i in spec.evidence]
    return _spread([c + weight * t for c, t in zip(known, typical, strict=True)], spec)


def _spread(values: list[float], spec: FieldSpec) -> list[float]:
    """Evidence-level values normalised to 1, placed among 1.0s for the
    neutral levels."""
    total = sum(values) or 1.0
    row = [1.0] * len(spec.levels)
    for i, value in zip(spec.evidence, values, strict=True):
        row[i] = value / total
    return row
