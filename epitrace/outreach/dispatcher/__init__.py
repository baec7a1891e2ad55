"""Sending the outbox: claims.py (who holds which row), attempt.py (one send, in a
thread), record.py (what the provider said), worker.py (the loop)."""
