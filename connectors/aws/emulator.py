"""A local AWS for tests and the demo: moto's server on 127.0.0.1, in-process.

moto lacks ListServiceSpecificCredentials (it answers HTTP 500); this adds a
read-only version backed by :data:`SERVICE_CREDENTIALS`, which seeding fills.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

SERVICE_CREDENTIALS: dict[tuple[str, str], list[dict[str, Any]]] = {}


def _install_service_credentials() -> None:
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    if hasattr(IamResponse, "list_service_specific_credentials"):
        return

    def list_service_specific_credentials(self: Any) -> Any:
        user = self._get_param("UserName")
        self.backend.get_user(user)  # NoSuchEntity for an unknown user, as AWS does
        return ActionResult({"ServiceSpecificCredentials": SERVICE_CREDENTIALS.get((self.current_account, user), [])})

    IamResponse.list_service_specific_credentials = list_service_specific_credentials  # type: ignore[attr-defined]


def reset_estate(endpoint: str) -> None:
    """Empty the simulated estate: moto keeps its state per process, across its servers."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 - loopback
    urllib.request.urlopen(request).close()  # noqa: S310 - loopback
    SERVICE_CREDENTIALS.clear()


def add_service_credential(
    account: str,
    user: str,
    credential_id: str,
    service: str,
    created: datetime,
    expires: datetime | None = None,
    alias: str | None = None,
) -> None:
    """A service-specific credential; a Bedrock or CloudWatch Logs API key may expire and has an alias."""
    record: dict[str, Any] = {
        "UserName": user,
        "Status": "Active",
        "CreateDate": created,
        "ServiceSpecificCredentialId": credential_id,
        "ServiceName": service,
    }
    if alias is None:
        record["ServiceUserName"] = f"{user}-at-{account}"
    else:
        record["ServiceCredentialAlias"] = alias
    if expires is not None:
        record["ExpirationDate"] = expires
    SERVICE_CREDENTIALS.setdefault((account, user), []).append(record)


class Hold:
    """A response held back: computed when its request arrives (so it shows the state of that
    moment) and sent only on :meth:`release`, as a slow listing would arrive late."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.reached = threading.Event()  # set once the held response is computed
        self._released = threading.Event()
        self._timeout = timeout

    def release(self) -> None:
        self._released.set()

    def wait_for_release(self) -> None:
        self.reached.set()
        if not self._released.wait(self._timeout):
            raise TimeoutError("a held moto response was never released")


@dataclass
class _Fault:
    action: str
    status: int
    code: str
    remaining: int
    body: bytes | None = None  # a whole response instead of an error
    when: dict[str, str] = field(default_factory=dict)  # request parameters it applies to
    hold: Hold | None = None  # the real response, delivered late

    def applies(self, action: str, parameters: dict[str, list[str]]) -> bool:
        matches = all(parameters.get(name, [None])[0] == value for name, value in self.when.items())
        return self.action == action and self.remaining > 0 and matches


@dataclass
class MotoTraffic:
    """What the server saw (``actions``) and what it should answer instead: an error
    (``fail``), a crafted body (``answer``) or the real answer, late (``hold``)."""

    actions: list[str] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, action: str, status: int, code: str, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``action`` with an AWS error body."""
        with self._lock:
            self.faults.append(_Fault(action, status, code, times))

    def answer(self, action: str, body: str, times: int = 1, when: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` requests for ``action`` (with the request parameters in
        ``when``, e.g. ``{"UserName": "svc"}``) with this XML (e.g. malformed data)."""
        with self._lock:
            self.faults.append(_Fault(action, 200, "", times, body.encode(), dict(when or {})))

    def hold(self, action: str, when: dict[str, str] | None = None) -> Hold:
        """Hold the next response to ``action`` until the returned :class:`Hold` is released."""
        held = Hold()
        with self._lock:
            self.faults.append(_Fault(action, 200, "", 1, when=dict(when or {}), hold=held))
        return held

    def _take(self, action: str, parameters: dict[str, list[str]]) -> _Fault | None:
        with self._lock:
            self.actions.append(action)
            for fault in self.faults:
                if fault.applies(action, parameters):
                    fault.remaining -= 1
                    return fault
        return None


class _Recorder:
    """WSGI middleware: log each request's AWS action; inject the faults asked for."""

    def __init__(self, app: Any, traffic: MotoTraffic) -> None:
        self.app, self.traffic = app, traffic

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        fields = parse_qs(body.decode("utf-8", "replace")) if body else parse_qs(environ.get("QUERY_STRING", ""))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        fault = self.traffic._take(fields.get("Action", [target.rsplit(".", 1)[-1] or "?"])[0], fields)
        if fault is None:
            return self.app(environ, start_response)
        if fault.hold is not None:
            return self._held(environ, start_response, fault.hold)
        kind = "Receiver" if fault.status >= 500 else "Sender"
        payload = (
            fault.body
            or (
                f"<ErrorResponse><Error><Type>{kind}</Type><Code>{fault.code}</Code>"
                f"<Message>injected {fault.code}</Message></Error>"
                "<RequestId>partner-nhi-test</RequestId></ErrorResponse>"
            ).encode()
        )
        start_response(
            f"{fault.status} Injected", [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    def _held(self, environ: dict[str, Any], start_response: Any, hold: Hold) -> Any:
        """Compute the real response now, send it when released."""
        started: list[Any] = []
        chunks = self.app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
        payload = b"".join(chunks)
        hold.wait_for_release()
        status, headers = started[0]
        start_response(status, headers)
        return [payload]


@contextmanager
def moto_server(traffic: MotoTraffic | None = None) -> Iterator[str]:
    """Start moto on an ephemeral loopback port; yield its endpoint URL.

    ``traffic``, when given, records every action and may inject errors.
    """
    import logging

    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _install_service_credentials()

    class _Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app: Any = DomainDispatcherApplication(create_backend_app)
            if traffic is not None:
                app = _Recorder(app, traffic)
            self._server = make_server(self._ip_address, self._port, app, True)
            self._server_ready_event.set()
            self._server.serve_forever()

    server = _Server(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
