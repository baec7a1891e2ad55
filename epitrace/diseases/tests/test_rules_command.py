"""epitrace rules check: Sara Alert's dated cases, output format, errors and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from epitrace.cli import main as epitrace
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules.scenario import OUTPUT_KEYS

pytestmark = pytest.mark.django_db

CASES = (
    Path(__file__).resolve().parents[3].parent / "shared/testdata/rules/saraalert/cases_dev.jsonl"
)


def run(*args: str) -> tuple[list[dict[str, Any]], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rules", "check", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def exit_status(*args: str) -> int:
    """The console command's exit status (a success returns without SystemExit)."""
    try:
        epitrace(["rules", "check", *args])
    except SystemExit as stopped:
        return int(stopped.code or 0)
    return 0


def scenario(**changes: Any) -> dict[str, Any]:
    base = json.loads(CASES.read_text().splitlines()[2])  # END-H4: no exposure date
    assert base["id"] == "END-H4"
    return {**base, **changes}


def write(path: Path, *rows: dict[str, Any] | str) -> str:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_every_dev_scenario_passes_verification() -> None:
    rows, err = run(str(CASES), "--verify", "--json")
    summary = rows.pop()
    expected = [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]
    assert summary == {
        "ok": True,
        "scenarios": len(expected),
        "evaluated": len(expected),
        "rejected": 0,
        "verified": len(expected),
        "different": 0,
        "different_ids": [],
    }
    assert [row["id"] for row in rows] == [case["id"] for case in expected]
    for row, case in zip(rows, expected, strict=True):
        assert list(row) == ["id", *OUTPUT_KEYS]
        assert {key: row[key] for key in case["expected"]} == case["expected"], case["id"]
    assert "75 as expected, 0 different" in err


def test_the_console_command_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_status(str(CASES), "--verify") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 75
    assert json.loads(lines[0])["id"] == "END-H1"


def test_a_difference_is_named_and_fails_verification(tmp_path: Path) -> None:
    wrong = scenario(id="WRONG", expected={"end_of_monitoring": "2022-03-09", "recovery": None})
    path = write(tmp_path / "s.jsonl", scenario(), wrong)
    rows, _ = run(path)  # without --verify the command only evaluates
    assert [row["id"] for row in rows] == ["END-H4", "WRONG"]
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("rules", "check", path, "--verify", stdout=io.StringIO(), stderr=err)
    assert failed.value.returncode == 1
    assert 'line 2, id WRONG: end_of_monitoring expected "2022-03-09", got "2022-03-08"' in (
        err.getvalue()
    )
    assert "recovery" not in err.getvalue()  # only the differing key is named
    # Last: the console command closes the database connections when it ends.
    assert exit_status(path, "--verify") == 1


def test_bad_lines_are_rejected_one_by_one(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.jsonl",
        "{not json",
        scenario(id="NOPROFILE", profile="covid-19-nowhere"),
        scenario(id="BADDATE", record={"workflow": "exposure", "last_exposure_date": "2022-13-01"}),
        scenario(id="BADZONE", timezone="Mars/Olympus"),
        scenario(id="NONOW", now=None),
        scenario(id="OK"),
    )
    rows, err = run(path, "--json")
    summary = rows.pop()
    assert (summary["scenarios"], summary["evaluated"], summary["rejected"]) == (6, 1, 5)
    assert summary["ok"] is True  # nothing to verify: every line was handled
    assert [row["id"] for row in rows] == [None, "NOPROFILE", "BADDATE", "BADZONE", "NONOW", "OK"]
    assert "error" in rows[0]
    assert rows[1]["error"] == "no disease profile with key 'covid-19-nowhere'"
    assert "record.last_exposure_date" in rows[2]["error"]
    assert "Mars/Olympus" in rows[3]["error"]
    assert rows[5]["end_of_monitoring"] == "2022-03-08"
    assert "line 1: not JSON" in err
    assert "line 2, id NOPROFILE: no disease profile" in err
    assert exit_status(path, "--verify") == 1


def test_an_unreadable_file_is_a_failure_and_no_file_a_usage_error(tmp_path: Path) -> None:
    assert exit_status(str(tmp_path / "missing.jsonl")) == 1
    with pytest.raises(SystemExit) as stopped:
        epitrace(["rules", "check"])
    assert stopped.value.code == 2
    with pytest.raises(SystemExit) as stopped:
        epitrace(["rules"])
    assert stopped.value.code == 2


def test_the_profile_is_read_from_the_database(tmp_path: Path) -> None:
    """A changed parameter of the stored profile moves the output."""
    path = write(tmp_path / "s.jsonl", scenario())
    [before], _ = run(path)
    assert before["end_of_monitoring"] == "2022-03-08"  # enrolled 2022-02-26 + 10
    assert before["being_monitored"] is True
    profile = DiseaseProfile.objects.get(key="covid-19-saraalert-2022")
    profile.parameters["monitoring_period_days"] = 2
    profile.save(update_fields=["parameters"])
    [after], _ = run(path)
    assert after["end_of_monitoring"] == "2022-02-28"
    assert after["being_monitored"] is False
    assert after["monitoring_complete"] is True


def test_a_profile_missing_a_parameter_rejects_its_lines(tmp_path: Path) -> None:
    profile = DiseaseProfile.objects.get(key="covid-19-saraalert-2022")
    del profile.parameters["reminder_interval_hours"]
    profile.save(update_fields=["parameters"])
    rows, _ = run(write(tmp_path / "s.jsonl", scenario()))
    assert rows == [
        {
            "id": "END-H4",
            "error": "disease profile covid-19-saraalert-2022 has no parameter "
            "'reminder_interval_hours'",
        }
    ]


def test_left_out_fields_take_the_documented_defaults(tmp_path: Path) -> None:
    minimal = {"id": "MIN", "profile": "covid-19-saraalert-2022", "now": "2022-03-01T18:00:00Z"}
    [row], _ = run(write(tmp_path / "s.jsonl", minimal))
    # An open isolation record enrolled now, reporting by SMS, in the state's zone.
    assert row["end_of_monitoring"] is None
    assert row["being_monitored"] is True
    assert row["reminder_eligible"] is True
    assert row["recovery"] is None


def test_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(scenario()) + "\n\n"))
    rows, _ = run("-")
    assert [row["id"] for row in rows] == ["END-H4"]
