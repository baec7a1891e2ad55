"""Django's PostgreSQL backend with a health check that costs no round trip.

With ``CONN_HEALTH_CHECKS`` Django asks ``SELECT 1`` before the first query
of every request that reuses a connection: a round trip per request, which
on a busy web server waits for the database process to be scheduled (about
5% of the queue benchmark's web time). An idle connection has nothing to
read; one the server has ended (a restart, an idle timeout, an administrator's
``pg_terminate_backend``) has its notice or the end of the stream waiting on
the socket. So: nothing to read means usable; anything else is asked the way
Django asks.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
from psycopg import pq


class DatabaseWrapper(PostgresWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()  # mid-transaction: only the server knows
        try:
            readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
        except (OSError, ValueError):
            return False  # the socket is gone
        return not readable or super().is_usable()
