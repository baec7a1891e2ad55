"""Comparing two records field by field, each field giving a level.

A level is how well a field agrees ("exact", "nickname", "transposed"...);
the scoring model turns each level into evidence (a weight) it learns from
the data, so the levels only have to separate situations that differ in how
often they happen between the same person and between two people. They are
ordered from the strongest agreement to "different", with "missing" last:
a value absent on either side is no evidence either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import JaroWinkler

from epitrace.people.linkage.record import Name, Record

_jw = JaroWinkler.normalized_similarity

# Jaro-Winkler cut-offs: above CLOSE a name differs by a typo or two; between
# SIMILAR and CLOSE it may be a variant spelling or another, similar name.
CLOSE = 0.92
SIMILAR = 0.80
PLACE_CLOSE = 0.90


@dataclass(frozen=True)
class FieldSpec:
    """A compared field and what is assumed of it before the data speaks.

    ``m_start`` and ``u_start`` give, per evidence level, the share of pairs
    of one person and of two strangers at that level: typical values for
    person registries, which a small file cannot estimate and a large one
    overrides. Neutral levels are no evidence at all: a missing value, and
    the family half of a swap (the given name carries the swap's weight).
    """

    name: str
    levels: tuple[str, ...]
    m_start: tuple[float, ...]
    u_start: tuple[float, ...]
    neutral: tuple[str, ...] = ("missing",)

    @property
    def missing(self) -> int:
        return len(self.levels) - 1

    @property
    def evidence(self) -> tuple[int, ...]:
        return tuple(i for i, name in enumerate(self.levels) if name not in self.neutral)


NAME_LEVELS = (
    "exact",
    "alias",  # nickname (Bill/William) or one name a word of the other
    "close",  # Jaro-Winkler >= CLOSE
    "sounds_like",  # same metaphone or NYSIIS key
    "similar",  # Jaro-Winkler >= SIMILAR
    "initial",  # "J" against "John"
    "swapped",  # given and family names exchanged
    "different",
    "missing",
)
EXACT, ALIAS, NEAR, SOUND, ALIKE, INITIAL, SWAPPED, DIFFERENT = range(8)
PLACE_LEVELS = ("exact", "close", "different", "missing")
CODE_LEVELS = ("exact", "one_digit", "different", "missing")

FIELDS = (
    FieldSpec(
        "given_name",
        NAME_LEVELS,
        (0.8, 0.04, 0.06, 0.02, 0.02, 0.01, 0.02, 0.03),
        (0.01, 0.002, 0.004, 0.005, 0.03, 0.001, 0.0001, 0.948),
    ),
    FieldSpec(
        "family_name",
        NAME_LEVELS,
        (0.8, 0.02, 0.08, 0.02, 0.02, 0.005, 0.055),
        (0.004, 0.001, 0.003, 0.004, 0.02, 0.0005, 0.9675),
        neutral=("swapped", "missing"),
    ),
    FieldSpec(
        "birth_date",
        ("exact", "transposed", "one_digit", "two_of_three", "different", "missing"),
        (0.85, 0.04, 0.05, 0.04, 0.02),
        (0.00005, 0.0002, 0.001, 0.03, 0.96875),
    ),
    FieldSpec("sex", ("same", "different", "missing"), (0.97, 0.03), (0.5, 0.5)),
    FieldSpec(
        "phone",
        ("exact", "last_seven", "one_digit", "different", "missing"),
        (0.8, 0.03, 0.05, 0.12),
        (0.0001, 0.0001, 0.0005, 0.9993),
    ),
    FieldSpec(
        "street",
        ("exact", "number_and_close_name", "name_only", "number_only", "different", "missing"),
        (0.75, 0.1, 0.05, 0.03, 0.07),
        (0.0005, 0.0002, 0.005, 0.005, 0.9893),
    ),
    FieldSpec("unit", PLACE_LEVELS, (0.75, 0.15, 0.1), (0.05, 0.02, 0.93)),
    FieldSpec("city", PLACE_LEVELS, (0.8, 0.1, 0.1), (0.05, 0.005, 0.945)),
    FieldSpec("postcode", CODE_LEVELS, (0.85, 0.08, 0.07), (0.02, 0.02, 0.96)),
    FieldSpec("state", ("same", "different", "missing"), (0.93, 0.07), (0.9, 0.1)),
    FieldSpec("identifier", CODE_LEVELS, (0.85, 0.08, 0.07), (0.00001, 0.0001, 0.99989)),
)
FIELD_INDEX = {spec.name: index for index, spec in enumerate(FIELDS)}


def typo(a: str, b: str) -> int:
    """1 when b is a with two characters exchanged (1985/1958, 05-17/07-15),
    2 when one character differs, else 0 (strings of the same length only)."""
    if len(a) != len(b) or a == b:
        return 0
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diffs) == 1:
        return 2
    if len(diffs) == 2:
        i, j = diffs
        return 1 if a[i] == b[j] and a[j] == b[i] else 0
    return 0


def name_level(a: Name, b: Name, formal_a: frozenset[str], formal_b: frozenset[str]) -> int:
    if not a.key or not b.key:
        return len(NAME_LEVELS) - 1
    if a.key == b.key:
        return EXACT
    if formal_a & formal_b or _word_of(a.text, b.text):
        return ALIAS
    similarity = _jw(a.key, b.key)
    if similarity >= CLOSE:
        return NEAR
    if a.sound == b.sound or a.sound2 == b.sound2:
        return SOUND
    if similarity >= SIMILAR:
        return ALIKE
    if (len(a.key) == 1 or len(b.key) == 1) and a.key[0] == b.key[0]:
        return INITIAL
    return DIFFERENT


def _word_of(a: str, b: str) -> bool:
    """One multi-word name contains the other: "garcia" in "garcia lopez"."""
    if " " not in a and " " not in b:
        return False
    return a in b.split() or b in a.split()


_NO_FORMAL: frozenset[str] = frozenset()


def names(a: Record, b: Record) -> tuple[int, int]:
    given = name_level(a.given, b.given, a.formal, b.formal)
    family = name_level(a.family, b.family, _NO_FORMAL, _NO_FORMAL)
    if (given > NEAR or family > NEAR) and given != INITIAL and a.given.key and b.given.key:
        # Registration clerks and foreign name orders exchange the two names.
        # Both crossings must hold closely: a household's "Omar Ronald" and
        # "Harold Omar" cross on one name only.
        crossed = name_level(a.given, b.family, _NO_FORMAL, _NO_FORMAL)
        if crossed <= NEAR:
            back = name_level(a.family, b.given, _NO_FORMAL, _NO_FORMAL)
            if back <= NEAR:
                return SWAPPED, SWAPPED
    return given, family


def birth_date(a: str, b: str) -> int:
    if not a or not b:
        return 5
    if a == b:
        return 0
    if a[:4] == b[:4] and a[4:6] == b[6:] and a[6:] == b[4:6]:
        return 1  # day and month exchanged (US and European order)
    kind = typo(a, b)
    if kind:
        return kind  # 1: neighbouring digits transposed, 2: one digit wrong
    agree = (a[:4] == b[:4]) + (a[4:6] == b[4:6]) + (a[6:] == b[6:])
    return 3 if agree >= 2 else 4


def sex(a: str, b: str) -> int:
    if not a or not b:
        return 2
    return 0 if a == b else 1


def phone(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    if not a or not b:
        return 4
    best = 3
    for x in a:
        for y in b:
            if x == y:
                return 0
            if x[-7:] == y[-7:]:
                best = min(best, 1)
            elif typo(x, y):
                best = min(best, 2)
    return best


def street(a: Record, b: Record) -> int:
    if not a.street_name or not b.street_name:
        return 5
    same_number = a.street_number == b.street_number
    if a.street_name == b.street_name:
        if same_number:
            return 0
        return 1 if typo(a.street_number, b.street_number) else 2
    close = _jw(a.street_name, b.street_name) >= PLACE_CLOSE
    if close:
        return 1 if same_number and a.street_number else 2
    return 3 if same_number and a.street_number else 4


def place(a: str, b: str) -> int:
    """exact, close (Jaro-Winkler), different, missing: units and towns."""
    if not a or not b:
        return 3
    if a == b:
        return 0
    return 1 if _jw(a, b) >= PLACE_CLOSE else 2


def code(a: str, b: str) -> int:
    """exact, one digit wrong or transposed, different, missing: postcodes."""
    if not a or not b:
        return 3
    if a == b:
        return 0
    return 1 if typo(a, b) else 2


def state(a: str, b: str) -> int:
    if not a or not b:
        return 2
    return 0 if a == b else 1


def identifier(a: Record, b: Record) -> int:
    if not a.identifiers or not b.identifiers:
        return 3
    best = 3
    for authority, value in a.identifiers:
        for other_authority, other in b.identifiers:
            if authority != other_authority and authority and other_authority:
                continue  # numbers from different registries say nothing
            if value == other:
                return 0
            best = min(best, 1 if typo(value, other) else 2)
    return best


def _address_lines(a: Record, b: Record) -> tuple[int, int]:
    """Street and unit (address line 2) levels, forgiving lines exchanged."""
    street_level, unit_level = street(a, b), place(a.unit, b.unit)
    if street_level >= 3 and unit_level >= 1:
        crossed = place(a.street_name, b.unit), place(a.unit, b.street_name)
        a_to_b, b_to_a = crossed
        if a_to_b <= 1:
            return 2, b_to_a
        if b_to_a <= 1:
            return 2, a_to_b
    return street_level, unit_level


def compare(a: Record, b: Record) -> tuple[int, ...]:
    """The level of every field in :data:`FIELDS`, in that order."""
    given, family = names(a, b)
    return (
        given,
        family,
        birth_date(a.birth, b.birth),
        sex(a.sex, b.sex),
        phone(a.phones, b.phones),
        *_address_lines(a, b),
        place(a.city, b.city),
        code(a.postcode, b.postcode),
        state(a.state, b.state),
        identifier(a, b),
    )


def same_identifier(a: Record, b: Record) -> bool:
    """The deterministic rule: one identifier value under the same assigning
    authority (a CSV column counts as one authority)."""
    return any(pair in b.identifiers for pair in a.identifiers)
