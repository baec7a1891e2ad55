"""HL7 v2 over MLLP: the real-time lab feed.

A lab's interface engine opens a TCP connection and sends a stream of
frames, ``0x0B message 0x1C 0x0D``, waiting for an acknowledgement after
each. Layers, each testable alone:

* ``framing``: bytes as TCP delivers them (half frames, several frames per
  read, noise between frames, oversized frames) -> whole frames.
* ``ack``: the acknowledgement (HL7 v2.5.1 ``ACK``): AA accepted (also for a
  duplicate, so the sender stops re-sending), AE rejected by the pipeline
  with the reason, AR not stored at all (not HL7, too large, database down).
* ``receiver``: one frame -> the pipeline, in its own transaction, as the
  system identity -> the ACK, built only after the commit. A sender that
  never gets the ACK re-sends; the re-sent copy is a duplicate: each
  message is stored exactly once.
* ``server``: a threaded TCP server, one thread per connection, an idle
  timeout, and a graceful stop that finishes the messages already received.

Logs carry counts, states and control ids, never message content.
"""
