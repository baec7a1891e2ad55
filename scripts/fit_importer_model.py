"""Refit the importer's matching model on a synthetic population.

    python scripts/fit_importer_model.py [--households 40000]

Writes a population of households with duplicates (1-3 errors each) to a
temporary CSV and runs ``epitrace match --fit-model`` on it, replacing
epitrace/people/data/importer_model.json. Run it after changing the fields
or levels of the matcher (the importer refuses a model that does not fit).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from epitrace.people.linkage import synthetic  # noqa: E402
from epitrace.people.linkage.stored import DEFAULT_PATH  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=40_000)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    people = synthetic.population(args.households, seed=7)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "population.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(people[0].row()))
            writer.writeheader()
            writer.writerows(person.row() for person in people)
        command = [str(ROOT / ".venv" / "bin" / "epitrace"), "match", str(source)]
        command += ["--out", str(Path(folder) / "pairs.csv"), "--fit-model", str(args.out)]
        subprocess.run(command, check=True)  # noqa: S603 (our own command, our arguments)
    print(f"{len(people):,} records; model written to {args.out}")


if __name__ == "__main__":
    main()
