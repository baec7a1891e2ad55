"""epitrace match: CSV in, pairs out, the JSON summary and exit statuses."""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from pathlib import Path

import pytest
from django.core.management import call_command

from epitrace.cli import main as epitrace
from epitrace.people.linkage import synthetic

COLUMNS = ["id", "given_name", "family_name", "birth_date", "sex", "phone", "street", "city",
           "postcode", "state"]  # fmt: skip


@cache
def people() -> list[synthetic.Person]:
    return synthetic.population(60, seed=5)


def write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command("match", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def pairs(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def exit_status(*args: str) -> int:
    with pytest.raises(SystemExit) as stopped:
        epitrace(["match", *args])
    return int(stopped.value.code or 0)


def test_duplicates_within_one_file(tmp_path: Path) -> None:
    source = write(tmp_path / "a.csv", [p.row() for p in people()], COLUMNS)
    out = tmp_path / "pairs.csv"
    summary = run(str(source), "--out", str(out), "--json")
    assert summary["mode"] == "dedup"
    assert summary["records_a"] == len(people())
    assert summary["records_b"] == 0
    assert summary["candidate_pairs"] > 0
    assert summary["seconds"] >= 0
    rows = pairs(out)
    assert list(rows[0]) == ["id_a", "id_b", "score", "decision"]
    assert summary["matches"] + summary["reviews"] == len(rows)
    order = {p.id: i for i, p in enumerate(people())}
    assert all(order[r["id_a"]] < order[r["id_b"]] for r in rows)  # file order, once each
    assert len({(r["id_a"], r["id_b"]) for r in rows}) == len(rows)
    assert {r["decision"] for r in rows} <= {"match", "review"}
    assert all(len(r["score"].split(".")[1]) == 4 and 0 <= float(r["score"]) <= 1 for r in rows)
    person = {p.id: p.person for p in people()}
    matched = [r for r in rows if r["decision"] == "match"]
    assert matched
    assert sum(person[r["id_a"]] == person[r["id_b"]] for r in matched) >= 0.95 * len(matched)


def test_linking_two_files_with_other_column_names(tmp_path: Path) -> None:
    originals = [p for p in people() if "-d" not in p.id]
    copies = [p for p in people() if p.id.endswith("-d0")]
    renamed = [
        {
            "rec": p.id,
            "first": p.given_name,
            "last": p.family_name,
            "born": p.birth_date.replace("-", ""),
        }
        for p in copies
    ]
    file_a = write(tmp_path / "a.csv", [p.row() for p in originals], COLUMNS)
    file_b = write(tmp_path / "b.csv", renamed)
    out = tmp_path / "pairs.csv"
    summary = run(
        str(file_a), "--against", str(file_b), "--out", str(out), "--json",
        "--map", "id=rec,given_name=first,family_name=last,birth_date=born",
    )  # fmt: skip
    assert (summary["mode"], summary["records_a"], summary["records_b"]) == (
        "link",
        len(originals),
        len(copies),
    )
    found = {(r["id_a"], r["id_b"]) for r in pairs(out) if r["decision"] == "match"}
    right = {(a, b) for a, b in found if b.startswith(a + "-")}
    assert len(right) >= 0.8 * len(copies)
    assert len(found - right) <= 1


def test_missing_columns_bad_dates_and_row_numbers_as_ids(tmp_path: Path) -> None:
    rows = [
        {"given_name": "Ana", "family_name": "Lima", "birth_date": "1990-02-31"},
        {"given_name": "Ana", "family_name": "Lima", "birth_date": "19900213"},
        {"given_name": "", "family_name": "", "birth_date": ""},  # empty row, skipped
        {"given_name": "Ana", "family_name": "Lima", "birth_date": "not a date"},
        {"given_name": "Rui", "family_name": "Costa", "birth_date": "1950-07-01"},
    ]
    source = write(tmp_path / "a.csv", rows)
    out = tmp_path / "pairs.csv"
    summary = run(str(source), "--out", str(out), "--json")
    assert summary["records_a"] == 4
    ids = {r["id_a"] for r in pairs(out)} | {r["id_b"] for r in pairs(out)}
    assert ids <= {"1", "2", "4", "5"}


def test_common_alternative_headers_and_street_numbers(tmp_path: Path) -> None:
    rows = [
        {"rec_id": "x1", "surname": "Moody", "given_name": "Blake", "dob": "1971-04-28",
         "street_number": "12", "address_1": "Studley Street", "zip": "4869"},
        {"rec_id": "x2", "surname": "Mody", "given_name": "Blake", "dob": "1971-04-28",
         "street_number": "12", "address_1": "Studley St", "zip": "4869"},
    ]  # fmt: skip
    source = write(tmp_path / "a.csv", rows)
    out = tmp_path / "pairs.csv"
    err = io.StringIO()
    call_command("match", str(source), "--out", str(out), stdout=io.StringIO(), stderr=err)
    assert "family_name=surname" in err.getvalue()
    assert "street_number" in err.getvalue()
    assert [(r["id_a"], r["id_b"], r["decision"]) for r in pairs(out)] == [("x1", "x2", "match")]


def test_same_identifier_is_a_match_whatever_else(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "given_name": "Kim", "family_name": "Lee", "identifier": "MRN-77"},
        {"id": "2", "given_name": "Kimberly", "family_name": "Leigh", "identifier": "mrn77"},
        {"id": "3", "given_name": "Paul", "family_name": "Ruiz", "identifier": "MRN-78"},
    ]
    out = tmp_path / "pairs.csv"
    summary = run(str(write(tmp_path / "a.csv", rows)), "--out", str(out), "--json")
    assert summary["identifier_matches"] == 1
    assert [(r["id_a"], r["id_b"], r["score"], r["decision"]) for r in pairs(out)] == [
        ("1", "2", "1.0000", "match")
    ]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    source = write(tmp_path / "a.csv", [p.row() for p in people()[:5]], COLUMNS)
    out = str(tmp_path / "pairs.csv")
    assert exit_status(str(source)) == 2  # no --out
    assert exit_status(str(source), "--out", out, "--map", "given_name") == 2
    assert exit_status(str(source), "--out", out, "--map", "nickname=first") == 2
    assert exit_status(str(source), "--out", out, "--map", "given_name=no_such_column") == 2
    assert exit_status(str(source), "--out", out, "--match-above", "0.2") == 2


def test_unreadable_input_exits_1(tmp_path: Path) -> None:
    out = str(tmp_path / "pairs.csv")
    assert exit_status(str(tmp_path / "missing.csv"), "--out", out) == 1
    (tmp_path / "empty.csv").write_text("")
    assert exit_status(str(tmp_path / "empty.csv"), "--out", out) == 1
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00id\x00\xff")
    assert exit_status(str(tmp_path / "binary.csv"), "--out", out) == 1
