"""A small HTTP server on 127.0.0.1 for emulating cloud REST APIs.

Written once for every emulator (Graph, ARM, GCP REST): routes by method and
path regex, a request log (tests prove read-only from it), and injected faults
(a 429 with Retry-After, a 503, an error body) for the next N matching requests.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route regex

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    response: Response
    remaining: int


class LoopbackServer:
    """Serve ``routes`` on an ephemeral port of 127.0.0.1 in a daemon thread."""

    def __init__(self, routes: Sequence[tuple[str, str, Handler]]) -> None:
        self._routes = [(m.upper(), re.compile(p), h) for m, p, h in routes]
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail(self, method: str, path_pattern: str, response: Response, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with ``response`` instead."""
        with self._lock:
            self._faults.append(_Fault(method.upper(), re.compile(path_pattern), response, times))

    def _take_fault(self, method: str, path: str) -> Response | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.method == method and fault.pattern.search(path):
                    fault.remaining -= 1
                    return fault.response
        return None

    def dispatch(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
        fault = self._take_fault(request.method, request.path)
        if fault is not None:
            return fault
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if method == request.method and match:
                params = {k: v for k, v in match.groupdict().items() if v is not None}
                return handler(Request(**{**request.__dict__, "params": params}))
        return Response(404, {"error": {"code": "NotFound", "message": f"no route {request.path}"}})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else every small response waits ~40 ms for a delayed ACK

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=split.path,
                    query={k: v[-1] for k, v in parse_qs(split.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                response = server.dispatch(request)
                payload = (
                    response.body
                    if isinstance(response.body, bytes)
                    else json.dumps(response.body).encode()
                    if response.body is not None
                    else b""
                )
                self.send_response(response.status)
                headers = {"Content-Type": "application/json", **response.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the request log is ``server.requests``."""

        return _Handler


def page(items: Sequence[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    """Slice ``items`` for a page token that is the next offset; return the next token."""
    start = int(token) if token else 0
    end = start + size
    return list(items[start:end]), (str(end) if end < len(items) else None)
