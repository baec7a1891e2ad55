"""Probabilistic person matching: is this record someone we already know?

Pure Python, no database: the importer, the possible-duplicates queue and
``epitrace match`` (partner files) all score pairs with the same code.

- :mod:`.text` and :mod:`.record` normalise raw values into a :class:`Record`
  (case, accents, punctuation, nicknames, phone digits, street parts).
- :mod:`.compare` compares two records field by field into *levels*
  (exact, nickname, Jaro-Winkler close, sounds like, swapped names, birth
  date with transposed digits...).
- :mod:`.blocking` picks the pairs worth comparing (several key passes).
- :mod:`.model` weighs each level Fellegi-Sunter style, with parameters
  estimated on the data (random pairs and EM), and tells relatives apart
  from the same person.
- :mod:`.linker` runs it all: identifiers first, then scores, then the
  ``match`` / ``review`` / new-person decision.

docs/matching.md describes the method, the figures and how the importer
will call it.
"""

from epitrace.people.linkage.linker import Link, Result, Thresholds, link, score
from epitrace.people.linkage.record import Record, build, from_patient, from_row

__all__ = [
    "Link",
    "Record",
    "Result",
    "Thresholds",
    "build",
    "from_patient",
    "from_row",
    "link",
    "score",
]
