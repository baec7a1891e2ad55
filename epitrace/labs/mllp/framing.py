"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol, release 1): 0x0B message 0x1C 0x0D.

TCP delivers a byte stream, not messages: one read may hold half a frame,
several frames, or bytes outside any frame. :class:`FrameReader` keeps what
it has across reads and hands out whole frames.

Tolerances, because senders differ: the carriage return after 0x1C is
optional; bytes outside frames are counted and dropped (blank lines between
frames are common and not even counted). A new 0x0B before the end of a
frame means the sender gave up on it: the partial frame is dropped
unanswered, and the sender, which got no ACK, sends it again. A frame over
the size limit is read to its end but not kept, except its first bytes, so
the rejection can still name the message's control id.
"""

from __future__ import annotations

from dataclasses import dataclass

START = 0x0B
END = 0x1C
CR = 0x0D
_START, _END = bytes([START]), bytes([END])
# Enough of an oversized frame for its MSH segment (the ACK echoes MSH-10).
HEAD_BYTES = 4096
_BLANK = b" \t\r\n"


def wrap(message: str) -> bytes:
    """``message`` framed for sending."""
    return _START + message.encode("utf-8") + bytes([END, CR])


@dataclass(frozen=True)
class Frame:
    content: bytes  # the message; for an oversized frame, its first HEAD_BYTES only
    size: int  # the full length of the content as sent
    oversized: bool = False


class FrameReader:
    """Turns received bytes into frames; one instance per connection."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.stray_bytes = 0  # outside any frame (noise, unframed text)
        self.abandoned = 0  # frames the sender restarted before ending them
        self._buffer = bytearray()
        self._in_frame = False
        self._size = 0

    @property
    def in_frame(self) -> bool:
        """True while part of a frame has been received and its end has not."""
        return self._in_frame

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; returns the frames they completed, in order."""
        frames: list[Frame] = []
        while data:
            if not self._in_frame:
                data = self._skip_to_start(data)
                continue
            end, restart = data.find(_END), data.find(_START)
            if restart >= 0 and (end < 0 or restart < end):
                self.abandoned += 1
                self._in_frame = False
                data = data[restart:]
                continue
            self._append(data if end < 0 else data[:end])
            if end < 0:
                break
            frames.append(self._finish())
            data = data[end + 1 :]
        return frames

    def _skip_to_start(self, data: bytes) -> bytes:
        start = data.find(_START)
        outside = data if start < 0 else data[:start]
        self.stray_bytes += len(outside.strip(_BLANK))
        if start < 0:
            return b""
        self._in_frame = True
        self._buffer.clear()
        self._size = 0
        return data[start + 1 :]

    def _append(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if len(self._buffer) < HEAD_BYTES or self._size <= self.max_bytes:
            self._buffer += chunk
        if self._size > self.max_bytes and len(self._buffer) > HEAD_BYTES:
            del self._buffer[HEAD_BYTES:]  # keep the head; drop the rest as it comes

    def _finish(self) -> Frame:
        self._in_frame = False
        oversized = self._size > self.max_bytes
        frame = Frame(bytes(self._buffer), self._size, oversized)
        self._buffer.clear()
        return frame
