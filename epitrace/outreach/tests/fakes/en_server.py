"""A local stand-in for the state's exposure-notification verification server.

``POST /api/issue`` as the Google/Apple ENX server answers it: the API key
in ``X-API-Key``, a second request with a known ``uuid`` refused with
``uuid_already_exists``. Every accepted request is kept for the test to read.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "en-key"


class _EnServer(BaseHTTPRequestHandler):
    issued: dict[str, dict[str, Any]] = {}

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/api/issue":
            self._answer(404, {"error": "not found"})
        elif self.headers.get("X-API-Key") != API_KEY:
            self._answer(401, {"error": "unauthorized"})
        elif body.get("testType") not in ("confirmed", "likely", "negative"):
            self._answer(400, {"error": "bad testType", "errorCode": "unsupported_test_type"})
        elif body["uuid"] in self.issued:
            self._answer(409, {"error": "uuid already exists", "errorCode": "uuid_already_exists"})
        else:
            self.issued[body["uuid"]] = body
            self._answer(200, {"uuid": body["uuid"], "code": "12345678"})

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return None


class RunningEnServer:
    def __init__(self) -> None:
        _EnServer.issued = {}
        self.issued = _EnServer.issued
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _EnServer)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
