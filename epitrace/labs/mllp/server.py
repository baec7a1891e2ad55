"""The MLLP listener: a threaded TCP server, one thread per connection.

Connections are independent: a sender that disconnects mid-frame, sends
noise or stalls affects its own connection only, and no exception in a
connection reaches the accepting loop. A connection is closed after
``idle_timeout`` seconds without a byte.

Stopping (SIGTERM, SIGINT or :meth:`MLLPServer.stop`): no new connection is
accepted; each connection finishes the frames it has received (stored and
acknowledged) and closes; a frame still arriving is dropped unacknowledged,
so its sender sends it again to the next listener.
"""

from __future__ import annotations

import logging
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.db import connection

from epitrace.accounts.scope import system_user
from epitrace.labs.mllp.framing import FrameReader, wrap
from epitrace.labs.mllp.receiver import Receiver

log = logging.getLogger(__name__)

READ_SIZE = 65536
SEND_TIMEOUT = 30.0  # seconds to hand an ACK to a sender that is not reading


class MLLPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = False  # server_close() waits for in-flight messages
    block_on_close = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        max_bytes: int,
        idle_timeout: float,
        poll_interval: float = 0.5,
        actor_factory: Callable[[], Any] = system_user,
    ) -> None:
        self.max_bytes = max_bytes
        self.idle_timeout = idle_timeout
        self.poll_interval = poll_interval
        self.actor_factory = actor_factory
        self.stopping = threading.Event()
        super().__init__(address, MLLPHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def serve(self) -> None:
        self.serve_forever(poll_interval=self.poll_interval)

    def stop(self) -> None:
        """Stop accepting and let connections finish; call from another thread than serve()."""
        self.stopping.set()
        self.shutdown()
        self.socket.close()  # refuse new connections while the open ones finish

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The handler catches everything it expects; anything else is a bug,
        # logged without a traceback (frames could show message content).
        log.error("mllp %s: connection failed unexpectedly", _peer(client_address))


class MLLPHandler(socketserver.BaseRequestHandler):
    server: MLLPServer

    def handle(self) -> None:
        peer = _peer(self.client_address)
        sock: socket.socket = self.request
        reader = FrameReader(self.server.max_bytes)
        receiver = Receiver(
            peer=peer, max_bytes=self.server.max_bytes, actor_factory=self.server.actor_factory
        )
        log.info("mllp %s: connected", peer)
        try:
            self._serve(sock, reader, receiver)
        finally:
            connection.close()  # this thread's database connection
            counts = ", ".join(f"{n} {state}" for state, n in sorted(receiver.counts.items()))
            log.info(
                "mllp %s: closed (%s%s)",
                peer,
                counts or "no message",
                f"; {reader.stray_bytes} stray bytes" if reader.stray_bytes else "",
            )

    def _serve(self, sock: socket.socket, reader: FrameReader, receiver: Receiver) -> None:
        last_byte = time.monotonic()
        while not self.server.stopping.is_set():
            sock.settimeout(self.server.poll_interval)
            try:
                data = sock.recv(READ_SIZE)
            except TimeoutError:
                if time.monotonic() - last_byte > self.server.idle_timeout:
                    log.info("mllp %s: idle, closing", _peer(self.client_address))
                    return
                continue
            except OSError:
                return  # reset by the peer
            if not data:
                return  # the peer closed; a partial frame is dropped unacknowledged
            last_byte = time.monotonic()
            for frame in reader.feed(data):
                ack = receiver.answer(frame)
                if not _send(sock, wrap(ack)):
                    return  # stored; the sender never saw the ACK and re-sends a duplicate


def _send(sock: socket.socket, data: bytes) -> bool:
    sock.settimeout(SEND_TIMEOUT)
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


def _peer(address: Any) -> str:
    try:
        host, port = address[0], address[1]
    except (TypeError, IndexError):
        return str(address)
    return f"{host}:{port}"


def serve_until_signalled(server: MLLPServer) -> None:
    """Serve in the foreground until SIGTERM or SIGINT, then stop gracefully."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("mllp: %s received, finishing in-flight messages", signal.Signals(signum).name)
        # shutdown() waits for serve_forever(), which runs in this very thread.
        threading.Thread(target=server.stop, name="mllp-stop", daemon=True).start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.serve()
    finally:
        server.server_close()  # joins the connection threads
        for sig, handler in previous.items():
            signal.signal(sig, handler)
