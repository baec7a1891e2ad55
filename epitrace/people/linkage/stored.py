"""A fitted model kept in a file, for scoring one record at a time.

``epitrace match`` fits its model on the files it links. The importer
cannot: it sees a few reports at a time against a database of millions. It
scores with a model fitted once on a large population of households and
duplicates (``epitrace match --fit-model FILE``; the shipped one is
``epitrace/people/data/importer_model.json``) and restated for the size of
the database it matches against: the prior odds that a report is a given
stored person fall as the database grows (:func:`for_population`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from epitrace.people.linkage import model
from epitrace.people.linkage.compare import FIELDS

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "importer_model.json"
VERSION = 1


@dataclass(frozen=True)
class StoredModel:
    tables: list[model.Table]
    priors: list[float]  # for any pair of the population it was fitted on
    population: int  # how many records that was

    def for_population(self, persons: int) -> model.Model:
        """The model for pairs of one report and one of ``persons`` stored persons.

        A pair-level prior is about 1/population for the same person (and
        for a relative), so it scales by fitted population / ``persons``. A
        smaller database keeps the fitted priors: the odds never rise above
        what the model was fitted on, so a town's first records need the same
        evidence as a state's (precision first).
        """
        scale = min(1.0, self.population / max(persons, 1))
        same = self.priors[model.SAME] * scale
        relatives = self.priors[model.RELATIVES] * scale
        return model.Model(self.tables, [same, relatives, max(1.0 - same - relatives, 1e-12)])


def dump(fitted: model.Model, population: int, path: Path) -> None:
    body = {
        "version": VERSION,
        "fields": [spec.name for spec in fitted.fields],
        "levels": [list(spec.levels) for spec in fitted.fields],
        "population": population,
        "priors": fitted.priors,
        "tables": fitted.tables,
    }
    path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")


def load(path: Path = DEFAULT_PATH) -> StoredModel:
    body = json.loads(path.read_text(encoding="utf-8"))
    expected = [list(spec.levels) for spec in FIELDS]
    if body.get("version") != VERSION or body.get("levels") != expected:
        # Fields or levels changed since the file was fitted: refit, never guess.
        raise ValueError(f"{path} does not fit this version of the matcher; refit it")
    return StoredModel(body["tables"], body["priors"], int(body["population"]))


@cache
def default() -> StoredModel:
    return load(DEFAULT_PATH)
