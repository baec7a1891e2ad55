"""A local stand-in for Twilio's Messages API, for tests and ``epitrace bench fanout``.

It answers the three calls the SMS transport makes, as Twilio does (same
paths, Basic auth with the account sid and token, the same JSON): create a
message, fetch one, list the messages to a number. It does not de-duplicate
anything: every accepted create is a new message, and the requests received
are counted per outbox key (read from the status-callback URL), so a double
send shows up here whatever the sender believed.

Told to (``fail``), it answers a number with Twilio errors such as 21610
(unsubscribed) and 30003 (unreachable); told to (``drop_after_accept``), it
creates a message and then closes the connection without answering, as a
provider does when the network fails after it took the request.

Run alone (its own process, for the benchmark)::

    python -m epitrace.outreach.tests.fakes.twilio_api --port 8765 --sid AC... --token ...

``GET /_fake/keys`` then lists ``key count`` lines; ``GET /_fake/stats`` the totals.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import datetime as dt
import json
import secrets
import threading
from collections.abc import Iterable
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

ERRORS = {
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    30003: "Unreachable destination handset",
}


class FakeTwilio:
    """The provider's state: messages, per-key counts, and the failures it was told to make."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        raw = f"{account_sid}:{auth_token}".encode()
        self.authorization = "Basic " + base64.b64encode(raw).decode()
        self.messages: dict[str, dict[str, Any]] = {}
        self.by_to: dict[str, list[str]] = collections.defaultdict(list)
        self.received: collections.Counter[str] = collections.Counter()
        self.requests: collections.Counter[str] = collections.Counter()
        self.failures: dict[str, collections.deque[int]] = {}
        self.totals = {"requests": 0, "duplicate_keys": 0}  # kept up to date: stats are polled
        self.drops: set[str] = set()
        self.callbacks: dict[str, str] = {}  # sid -> the StatusCallback it was created with
        self._lock = threading.Lock()

    # --- Controls (tests call these directly; the bench needs none) ----------------------

    def fail(self, to: str, codes: Iterable[int]) -> None:
        """Answer the next creates to ``to`` with these Twilio error codes, in order."""
        self.failures[to] = collections.deque(codes)

    def drop_after_accept(self, to: str) -> None:
        """Take the next message to ``to``, then hang up without answering."""
        self.drops.add(to)

    def sent_to(self, to: str) -> list[dict[str, Any]]:
        return [self.messages[sid] for sid in self.by_to.get(to, [])]

    # --- The API --------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Any:
        """(status, JSON-able answer), or None to drop the connection."""
        url = urlsplit(target)
        path, query = url.path, parse_qs(url.query)
        if path == "/_fake/keys":
            return 200, "".join(f"{k} {n}\n" for k, n in self.received.items())
        if path == "/_fake/stats":
            return 200, self.stats()
        if headers.get("authorization") != self.authorization:
            return 401, _error(20003, "Authenticate", 401)
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages"
        if path == f"{base}.json" and method == "POST":
            return self._create({k: v[0] for k, v in parse_qs(body.decode()).items()})
        if path == f"{base}.json" and method == "GET":
            return 200, self._list(query)
        if path.startswith(base + "/") and path.endswith(".json") and method == "GET":
            sid = path[len(base) + 1 : -len(".json")]
            found = self.messages.get(sid)
            return (200, found) if found else (404, _error(20404, "Not found", 404))
        return 404, _error(20404, "Not found", 404)

    def _create(self, form: dict[str, str]) -> Any:
        to, callback = form.get("To", ""), form.get("StatusCallback", "")
        key = parse_qs(urlsplit(callback).query).get("key", [""])[0]
        with self._lock:
            self.requests[key] += 1
            self.totals["requests"] += 1
            pending = self.failures.get(to)
            if pending:
                code = pending.popleft()
                return 400, _error(code, ERRORS.get(code, "Error"), 400)
            now = format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
            sid = "SM" + secrets.token_hex(16)
            message: dict[str, Any] = {
                "sid": sid,
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "to": to,
                "from": form.get("From", ""),
                "body": form.get("Body", ""),
                "status": "queued",
                "direction": "outbound-api",
                "num_segments": "1",
                "num_media": "0",
                "date_created": now,
                "date_updated": now,
                "date_sent": None,
                "error_code": None,
                "error_message": None,
                "price": None,
                "price_unit": "USD",
                "messaging_service_sid": None,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
                "subresource_uris": {},
            }
            self.messages[sid] = message
            self.callbacks[sid] = callback
            self.by_to[to].append(sid)
            self.received[key] += 1
            if self.received[key] == 2:
                self.totals["duplicate_keys"] += 1
            if to in self.drops:
                self.drops.discard(to)
                return None
        return 201, message

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        to = query.get("To", [""])[0]
        sender = query.get("From", [""])[0]
        size = int(query.get("PageSize", ["50"])[0])
        sids = self.by_to.get(to, []) if to else list(self.messages)
        found = [self.messages[s] for s in reversed(sids)]
        found = [m for m in found if not sender or m["from"] == sender][:size]
        return {
            "messages": found,
            "page": 0,
            "page_size": size,
            "start": 0,
            "end": max(len(found) - 1, 0),
            "first_page_uri": None,
            "next_page_uri": None,
            "previous_page_uri": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages.json",
        }

    def stats(self) -> dict[str, int]:
        return {"messages": len(self.messages), "keys": len(self.received), **self.totals}

    # --- Serving ----------------------------------------------------------------------------

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection, several requests on it (HTTP/1.1 keep-alive)."""
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                try:
                    body = await reader.readexactly(int(headers.get("content-length") or 0))
                except (asyncio.IncompleteReadError, ConnectionError):
                    return  # the sender died mid-request
                answer = self.handle(method, target, headers, body)
                if answer is None:
                    return  # taken, never answered: the sender cannot tell
                status, payload = answer
                text = payload if isinstance(payload, str) else json.dumps(payload)
                data = text.encode()
                kind = "text/plain" if isinstance(payload, str) else "application/json"
                writer.write(
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\n"
                    f"Content-Type: {kind}\r\nContent-Length: {len(data)}\r\n"
                    "Connection: keep-alive\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                writer.close()


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class Running:
    """A fake provider served from a background thread (tests)."""

    def __init__(self, fake: FakeTwilio, host: str = "127.0.0.1") -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.port = 0

        async def start() -> None:
            self.server = await asyncio.start_server(fake.connection, host, 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        def serve() -> None:
            self.loop.run_until_complete(start())
            self.loop.run_forever()
            self.loop.close()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(10)
        self.url = f"http://{host}:{self.port}"

    def stop(self) -> None:
        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop)
        self.thread.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sid", required=True)
    parser.add_argument("--token", required=True)
    options = parser.parse_args()
    fake = FakeTwilio(options.sid, options.token)

    async def serve() -> None:
        server = await asyncio.start_server(fake.connection, options.host, options.port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
