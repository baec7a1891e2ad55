"""The MLLP listener, over real sockets, with real lab messages.

The server runs in a thread of the test process; its connection threads
write through their own database connections, so these tests commit
(``transaction=True``) and start by putting the reference data back.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError

from epitrace.core.reference import ensure_reference_data
from epitrace.labs.ingest.hl7.escapes import unescape
from epitrace.labs.ingest.hl7.tokens import Delimiters
from epitrace.labs.ingest.pipeline import Pipeline
from epitrace.labs.ingest.records import RecordWriter
from epitrace.labs.management.commands import mllp as mllp_command
from epitrace.labs.mllp.framing import wrap
from epitrace.labs.mllp.receiver import NOT_HL7
from epitrace.labs.mllp.server import MLLPServer
from epitrace.labs.models import FeedName, IngestKey, LabFeed, LabResult, RawMessage

TESTDATA = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "elr" / "hl7"
NIST = TESTDATA / "nist-elr251" / "valid" / "nist"
REPORTSTREAM = TESTDATA / "reportstream" / "src" / "test" / "hl7_test_files" / "single_message.hl7"
ADT = TESTDATA / "python-hl7-vectors" / "messages" / "sample_msh.hl7"
MAX_BYTES = 64 * 1024

pytestmark = pytest.mark.django_db(transaction=True)


def nist(number: int) -> str:
    return message(NIST / f"ORU_R01_2.5.1_SampleTestCase{number}.hl7")


def message(path: Path) -> str:
    """One message as a sender puts it on the wire: segments ended by CR."""
    text = path.read_bytes().decode("utf-8")
    lines = [line for line in text.replace("\r\n", "\r").replace("\n", "\r").split("\r") if line]
    return "\r".join(lines) + "\r"


def control_id(text: str) -> str:
    return text.split("\r", 1)[0].split("|")[9]


class Sender:
    """A lab's side of the connection."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def ack(self) -> dict[str, list[str]]:
        while b"\x1c\x0d" not in self.pending:
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed the connection without an ACK"
            self.pending += chunk
        frame, self.pending = self.pending.split(b"\x1c\x0d", 1)
        assert frame.startswith(b"\x0b")
        lines = frame[1:].decode("utf-8").split("\r")
        return {line[:3]: line.split("|") for line in lines if line}

    def exchange(self, text: str) -> dict[str, list[str]]:
        self.send(wrap(text))
        return self.ack()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server() -> Iterator[MLLPServer]:
    ensure_reference_data()
    yield from _running(MLLPServer(("127.0.0.1", 0), max_bytes=MAX_BYTES, idle_timeout=30))


def _running(server: MLLPServer) -> Iterator[MLLPServer]:
    server.poll_interval = 0.05
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        server.server_close()
        thread.join(10)


@pytest.fixture
def sender(server: MLLPServer) -> Iterator[Sender]:
    lab = Sender(server.port)
    yield lab
    lab.close()


def mllp_messages() -> Any:
    return RawMessage.objects.filter(source=FeedName.MLLP)


@pytest.mark.parametrize(
    "path", [NIST / "ORU_R01_2.5.1_SampleTestCase1.hl7", REPORTSTREAM], ids=["nist", "reportstream"]
)
def test_a_lab_result_is_stored_before_it_is_acknowledged(sender: Sender, path: Path) -> None:
    text = message(path)
    ack = sender.exchange(text)
    # Read from the test's own connection the moment the ACK is in: committed.
    stored = mllp_messages().get()
    assert ack["MSA"][:3] == ["MSA", "AA", control_id(text)]
    assert (stored.state, stored.control_id) == ("processed", control_id(text))
    assert LabResult.objects.filter(raw_message=stored).exists()
    incoming = text.split("\r", 1)[0].split("|")
    msh = ack["MSH"]
    assert msh[2:6] == [incoming[4], incoming[5], incoming[2], incoming[3]]
    assert msh[8] == "ACK^R01^ACK"
    assert msh[9] != incoming[9]
    assert msh[11] == "2.5.1"
    assert LabFeed.objects.get(name=FeedName.MLLP).last_received_at is not None


def test_a_message_sent_again_is_acknowledged_and_stored_once(sender: Sender) -> None:
    text = nist(2)
    assert sender.exchange(text)["MSA"][1] == "AA"
    results = LabResult.objects.count()
    again = sender.exchange(text)
    assert again["MSA"][:3] == ["MSA", "AA", control_id(text)]
    assert mllp_messages().count() == 1
    assert LabResult.objects.count() == results


def test_a_message_that_is_not_a_lab_result_gets_ae_with_the_reason(sender: Sender) -> None:
    text = message(ADT)
    ack = sender.exchange(text)
    assert ack["MSA"][:3] == ["MSA", "AE", "Q150084616T145947960"]
    reason = unescape(ack["MSA"][3], Delimiters())
    assert reason == "ADT^A01 is not a lab result (ORU^R01)"
    assert ack["ERR"][3] == "200^Unsupported message type^HL70357"
    assert unescape(ack["ERR"][8], Delimiters()) == reason
    assert ack["MSH"][8] == "ACK^A01^ACK"
    kept = mllp_messages().get()
    assert (kept.state, kept.error) == ("rejected", reason)


def test_a_frame_that_is_not_hl7_gets_ar_and_is_kept(sender: Sender) -> None:
    ack = sender.exchange("Hello, is this the health department?")
    assert ack["MSA"][:2] == ["MSA", "AR"]
    assert ack["ERR"][3].startswith("100^")
    kept = mllp_messages().get()
    assert (kept.state, kept.error) == ("rejected", NOT_HL7)


def test_noise_between_frames_is_skipped(sender: Sender) -> None:
    sender.send(b"\r\nnoise\x00" + wrap(nist(1)) + b"more noise" + wrap(nist(3)))
    assert [sender.ack()["MSA"][1], sender.ack()["MSA"][1]] == ["AA", "AA"]
    assert mllp_messages().count() == 2


def test_two_frames_in_one_packet_get_two_acks_in_order(sender: Sender) -> None:
    first, second = nist(4), nist(5)
    sender.send(wrap(first) + wrap(second))
    assert sender.ack()["MSA"][2] == control_id(first)
    assert sender.ack()["MSA"][2] == control_id(second)


def test_a_frame_split_over_many_packets_is_put_together(sender: Sender) -> None:
    data = wrap(nist(6))
    for start in range(0, len(data), 97):
        sender.send(data[start : start + 97])
        time.sleep(0.002)
    assert sender.ack()["MSA"][1] == "AA"
    assert mllp_messages().count() == 1


def test_an_oversized_frame_gets_ar_and_the_connection_goes_on(sender: Sender) -> None:
    text = nist(1)
    padded = text + "".join(f"NTE|{n}||{'x' * 1000}\r" for n in range(MAX_BYTES // 1000 + 5))
    ack = sender.exchange(padded)
    assert ack["MSA"][:2] == ["MSA", "AR"]
    assert ack["MSA"][2] == control_id(text)  # read from the kept head of the frame
    assert "over the 65536 byte limit" in ack["MSA"][3]
    assert not mllp_messages().exists()
    assert sender.exchange(text)["MSA"][1] == "AA"


def test_a_sender_vanishing_mid_frame_leaves_the_listener_serving(server: MLLPServer) -> None:
    gone = Sender(server.port)
    gone.send(wrap(nist(1))[:200])
    gone.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    gone.close()  # a reset, not a polite close
    half = Sender(server.port)
    half.send(wrap(nist(1))[:200])
    half.close()
    lab = Sender(server.port)
    try:
        assert lab.exchange(nist(2))["MSA"][1] == "AA"
    finally:
        lab.close()
    assert mllp_messages().count() == 1  # the halves were never stored


def test_several_connections_are_served_at_once(server: MLLPServer) -> None:
    labs = [Sender(server.port) for _ in range(3)]
    try:
        texts = [nist(n) for n in (1, 2, 3)]
        for lab, text in zip(labs, texts, strict=True):
            lab.send(wrap(text))
        acks = [lab.ack() for lab in labs]
    finally:
        for lab in labs:
            lab.close()
    assert [ack["MSA"][1:3] for ack in acks] == [["AA", control_id(t)] for t in texts]
    assert mllp_messages().count() == 3


def test_nothing_is_acknowledged_before_the_commit(
    sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails inside the message's transaction: AR, and nothing of it kept."""

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("the database went away")

    monkeypatch.setattr(RecordWriter, "store_results", broken)
    text = nist(1)
    ack = sender.exchange(text)
    assert ack["MSA"][:3] == ["MSA", "AR", control_id(text)]
    assert "send it again later" in ack["MSA"][3]
    assert not RawMessage.objects.exists()
    assert not IngestKey.objects.exists()
    monkeypatch.undo()
    assert sender.exchange(text)["MSA"][1] == "AA"  # the sender's retry
    assert mllp_messages().count() == 1


def test_a_bug_of_ours_gets_ar_and_the_listener_goes_on(
    sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: Any, **kwargs: Any) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(Pipeline, "process", bug)
    ack = sender.exchange(nist(1))
    assert ack["MSA"][:2] == ["MSA", "AR"]
    assert ack["ERR"][3].startswith("207^")
    monkeypatch.undo()
    assert sender.exchange(nist(1))["MSA"][1] == "AA"


def test_an_idle_connection_is_closed() -> None:
    ensure_reference_data()
    quick = MLLPServer(("127.0.0.1", 0), max_bytes=MAX_BYTES, idle_timeout=0.3)
    for server in _running(quick):
        lab = Sender(server.port)
        started = time.monotonic()
        assert lab.sock.recv(10) == b""
        assert time.monotonic() - started < 5
        lab.close()


def test_stopping_finishes_the_message_in_flight(
    server: MLLPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrived = threading.Event()
    process = Pipeline.process

    def slow(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        arrived.set()
        time.sleep(0.5)
        return process(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "process", slow)
    lab = Sender(server.port)
    lab.send(wrap(nist(1)))
    assert arrived.wait(10)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    try:
        assert lab.ack()["MSA"][1] == "AA"
        assert lab.sock.recv(10) == b""  # then the connection closes
    finally:
        lab.close()
        stopper.join(10)
    assert mllp_messages().count() == 1
    with pytest.raises(ConnectionRefusedError):
        Sender(server.port)


def test_the_command_serves_on_the_given_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_reference_data()
    answers: list[str] = []

    def serve_briefly(server: MLLPServer) -> None:
        for running in _running(server):
            lab = Sender(running.port)
            answers.append(lab.exchange(nist(1))["MSA"][1])
            lab.close()

    monkeypatch.setattr(mllp_command, "serve_until_signalled", serve_briefly)
    call_command("mllp", "--host", "127.0.0.1", "--port", "0")
    assert answers == ["AA"]
    assert "Listening for MLLP on 127.0.0.1:" in capsys.readouterr().err
    assert mllp_messages().get().state == "processed"
