"""The drop folder: files imported, then filed away only after the commit.

Transactional: the move happens once the import's transactions commit, as it
does in a worker.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from epitrace.core.reference import ensure_reference_data
from epitrace.labs import tasks
from epitrace.labs.feeds import dropfolder
from epitrace.labs.feeds.dropfolder import Layout, pull_drop_folder
from epitrace.labs.ingest.batch import BatchWriter
from epitrace.labs.models import FeedName, IngestKey, LabFeed, LabResult, RawMessage

TESTDATA = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "elr" / "hl7"
NIST = TESTDATA / "nist-elr251" / "valid" / "nist"
ADT = TESTDATA / "python-hl7-vectors" / "messages" / "sample_msh.hl7"

pytestmark = pytest.mark.django_db(transaction=True)


def nist(*numbers: int) -> bytes:
    """NIST test messages one after another, as a lab's batch file holds them."""
    return b"".join(
        (NIST / f"ORU_R01_2.5.1_SampleTestCase{n}.hl7").read_bytes().rstrip(b"\r\n") + b"\r\n"
        for n in numbers
    )


@pytest.fixture
def drop(settings: SettingsWrapper, tmp_path: Path) -> Layout:
    ensure_reference_data()
    settings.EPITRACE_DROP_FOLDER = tmp_path / "drop"
    settings.EPITRACE_DROP_FOLDER_SETTLE_SECONDS = 30
    layout = Layout(tmp_path / "drop")
    layout.create()
    return layout


def deliver(layout: Layout, name: str, data: bytes, *, minutes_ago: float = 5) -> Path:
    path = layout.inbox / name
    path.write_bytes(data)
    moment = time.time() - minutes_ago * 60
    os.utime(path, (moment, moment))
    return path


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def summary_of(folder: Path) -> dict[str, Any]:
    [report] = folder.glob("*.json")
    return json.loads(report.read_text())


def test_files_are_imported_oldest_first_and_then_filed_in_processed(drop: Layout) -> None:
    deliver(drop, "b-newer.hl7", nist(2), minutes_ago=5)
    deliver(drop, "a-older.hl7", nist(1), minutes_ago=10)
    result = pull_drop_folder()
    assert [(f.name, f.outcome) for f in result.files] == [
        ("a-older.hl7", "processed"),
        ("b-newer.hl7", "processed"),
    ]
    assert files(drop.inbox) == []
    stored = files(drop.folder("processed"))
    assert len(stored) == 4
    assert [name.split("-", 1)[1] for name in stored] == [
        "a-older.hl7",
        "a-older.hl7.json",
        "b-newer.hl7",
        "b-newer.hl7.json",
    ]
    stamp = stored[0].split("-", 1)[0]
    assert dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
    messages = RawMessage.objects.filter(source=FeedName.DROP_FOLDER).order_by("id")
    assert [m.control_id for m in messages] == ["NIST-100929110701660", "NIST-100929110745131"]
    assert all(m.state == "processed" for m in messages)
    report = json.loads((drop.folder("processed") / stored[1]).read_text())
    assert report["file"] == "a-older.hl7"
    assert report["stored_as"] == stored[0]
    assert (report["outcome"], report["received"], report["accepted"]) == ("processed", 1, 1)
    assert LabFeed.objects.get(name=FeedName.DROP_FOLDER).last_received_at is not None


def test_a_file_whose_every_message_is_rejected_goes_to_failed(drop: Layout) -> None:
    deliver(drop, "adt.hl7", ADT.read_bytes())
    [result] = pull_drop_folder().files
    assert result.outcome == "failed"
    assert files(drop.inbox) == []
    report = summary_of(drop.folder("failed"))
    assert (report["received"], report["rejected"]) == (1, 1)
    assert report["rejections"] == [
        {
            "index": 1,
            "control_id": "Q150084616T145947960",
            "reason": "ADT^A01 is not a lab result (ORU^R01)",
        }
    ]
    # The rejected message itself is kept, with its reason, for the errors screen.
    assert RawMessage.objects.get(source=FeedName.DROP_FOLDER).state == "rejected"


def test_a_file_with_some_good_messages_is_processed(drop: Layout) -> None:
    deliver(drop, "mixed.hl7", nist(3) + ADT.read_bytes())
    [result] = pull_drop_folder().files
    assert (result.outcome, result.received, result.rejected) == ("processed", 2, 1)


def test_the_summary_leaves_out_message_text_a_reason_quotes(drop: Layout) -> None:
    deliver(drop, "stray.hl7", b"PID|1||9817566735||Johnson^Philip\r" + nist(1))
    [result] = pull_drop_folder().files
    assert (result.outcome, result.received, result.rejected) == ("processed", 2, 1)
    [report] = drop.folder("processed").glob("*.json")
    text = report.read_text()
    assert "Johnson" not in text
    assert "9817566735" not in text
    reason = json.loads(text)["rejections"][0]["reason"]
    assert reason == "segments outside any message (no MSH before them): …"
    # The whole reason stays with the rejected message, behind access control.
    assert "Johnson" in RawMessage.objects.get(state="rejected").error


def test_an_unreadable_file_goes_to_failed(drop: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = deliver(drop, "locked.hl7", nist(1))
    read_bytes = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    [result] = pull_drop_folder().files
    assert result.outcome == "failed"
    assert files(drop.inbox) == []
    report = summary_of(drop.folder("failed"))
    assert report["rejections"][0]["reason"] == "cannot read the file: Permission denied"


def test_files_still_being_written_wait_for_the_next_pull(drop: Layout) -> None:
    deliver(drop, "upload.hl7.part", nist(1))
    deliver(drop, "upload.tmp", nist(1))
    deliver(drop, ".hidden.hl7", nist(1))
    deliver(drop, "just-now.hl7", nist(1), minutes_ago=0)
    assert pull_drop_folder().files == []
    assert files(drop.inbox) == [".hidden.hl7", "just-now.hl7", "upload.hl7.part", "upload.tmp"]
    assert not RawMessage.objects.exists()


def test_an_import_stopped_midway_leaves_the_file_and_the_rerun_is_exact(
    drop: Layout, monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper
) -> None:
    deliver(drop, "six.hl7", nist(1, 2, 3, 4, 5, 6))
    settings.EPITRACE_IMPORT_BATCH = 2  # commit every two messages
    accept = BatchWriter._accept
    calls = 0

    def dies_on_the_fourth(self: BatchWriter, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("killed")
        return accept(self, *args, **kwargs)

    monkeypatch.setattr(BatchWriter, "_accept", dies_on_the_fourth)
    [stopped] = pull_drop_folder().files
    assert stopped.outcome == "inbox"
    assert files(drop.inbox) == ["six.hl7"]
    assert RawMessage.objects.count() == 2  # the first batch committed, the second did not

    monkeypatch.setattr(BatchWriter, "_accept", accept)
    [finished] = pull_drop_folder().files
    assert finished.outcome == "processed"
    report = summary_of(drop.folder("processed"))
    assert (report["received"], report["accepted"], report["duplicates"]) == (6, 4, 2)
    assert RawMessage.objects.count() == 6
    assert IngestKey.objects.count() == 12  # two keys per message, each once
    results = LabResult.objects.count()

    deliver(drop, "six-again.hl7", nist(1, 2, 3, 4, 5, 6))
    [again] = pull_drop_folder().files
    assert (again.outcome, again.received, again.rejected) == ("processed", 6, 0)
    assert RawMessage.objects.count() == 6
    assert LabResult.objects.count() == results


def test_nothing_moves_until_the_import_commits(drop: Layout) -> None:
    deliver(drop, "one.hl7", nist(1))

    def dies_before_the_commit() -> None:
        with transaction.atomic():
            pull_drop_folder()
            assert files(drop.inbox) == ["one.hl7"]  # imported, not yet committed
            raise RuntimeError("the worker dies")

    with pytest.raises(RuntimeError, match="the worker dies"):
        dies_before_the_commit()
    assert files(drop.inbox) == ["one.hl7"]
    assert not RawMessage.objects.exists()
    with transaction.atomic():
        pull_drop_folder()
        assert files(drop.inbox) == ["one.hl7"]
    assert files(drop.inbox) == []
    assert RawMessage.objects.count() == 1


def test_one_pull_at_a_time(drop: Layout) -> None:
    deliver(drop, "one.hl7", nist(1))
    with dropfolder._exclusive(drop.lock_file) as held:
        assert held
        result = pull_drop_folder()
    assert result.locked
    assert files(drop.inbox) == ["one.hl7"]
    assert not pull_drop_folder().locked


def test_names_never_clash(drop: Layout) -> None:
    deliver(drop, "daily.hl7", nist(1))
    pull_drop_folder()
    deliver(drop, "daily.hl7", nist(2))
    pull_drop_folder()
    stored = [n for n in files(drop.folder("processed")) if not n.endswith(".json")]
    assert len(stored) == 2
    assert all(name.endswith("-daily.hl7") for name in stored)


def test_the_folders_are_created_when_missing(settings: SettingsWrapper, tmp_path: Path) -> None:
    ensure_reference_data()
    settings.EPITRACE_DROP_FOLDER = tmp_path / "new"
    assert pull_drop_folder().files == []
    assert files(tmp_path / "new") == [".pull.lock", "failed", "inbox", "processed"]


def test_the_scheduled_task_pulls_hourly_at_five_past(drop: Layout) -> None:
    deliver(drop, "one.hl7", nist(1))
    tasks.pull_lab_drop_folder.call_local()
    assert files(drop.inbox) == []
    schedule = tasks.pull_lab_drop_folder.s().validate_datetime
    assert schedule(dt.datetime(2025, 1, 1, 3, 5))
    assert schedule(dt.datetime(2025, 1, 1, 17, 5))
    assert not schedule(dt.datetime(2025, 1, 1, 3, 6))
