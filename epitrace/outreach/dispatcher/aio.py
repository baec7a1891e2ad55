"""Sender coroutines on an event loop of their own, for transports that have them.

The main thread hands rows over with ``asyncio.run_coroutine_threadsafe``
and gets ordinary futures back, the same as from the thread pool. A
semaphore keeps the requests in flight at the configured number.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

from epitrace.outreach.dispatcher.attempt import Lease, Outcome, attempt_async
from epitrace.outreach.dispatcher.claims import Claimed

CLOSE_TIMEOUT_S = 30


class AsyncSenders:
    def __init__(self, lease: Lease, concurrency: int) -> None:
        from epitrace.outreach.transports.twilio.aio import AsyncTwilioTransport

        self.lease = lease
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="outbox-async", daemon=True
        )
        self.thread.start()

        async def start() -> tuple[Any, asyncio.Semaphore]:
            return AsyncTwilioTransport(), asyncio.Semaphore(concurrency)

        self.transport, self.limit = self._wait(start())

    def submit(self, row: Claimed, taken: frozenset[str]) -> Future[Outcome]:
        return asyncio.run_coroutine_threadsafe(self._attempt(row, taken), self.loop)

    async def _attempt(self, row: Claimed, taken: frozenset[str]) -> Outcome:
        async with self.limit:
            return await attempt_async(row, self.transport, self.lease, taken)

    def close(self) -> None:
        """After the sends in flight end (each is bounded by the request timeout)."""

        async def finish() -> None:
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            await asyncio.gather(*pending, return_exceptions=True)
            await self.transport.close()

        try:
            self._wait(finish())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(CLOSE_TIMEOUT_S)
            self.loop.close()

    def _wait(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(CLOSE_TIMEOUT_S)
