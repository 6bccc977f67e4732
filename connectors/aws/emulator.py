"""A local AWS for tests and the demo: moto's server on 127.0.0.1, in-process.

moto lacks ListServiceSpecificCredentials (it answers HTTP 500); this adds a
read-only version backed by :data:`SERVICE_CREDENTIALS`, which seeding fills.
"""

from __future__ import annotations

from collections.abc import Iterator
import io
import os
from contextlib import contextmanager
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

    IamResponse.list_service_specific_credentials = list_service_specific_credentials


def add_service_credential(account: str, user: str, credential_id: str, service: str, created: datetime) -> None:
    SERVICE_CREDENTIALS.setdefault((account, user), []).append(
        {
            "UserName": user,
            "Status": "Active",
            "ServiceUserName": f"{user}-at-{account}",
            "CreateDate": created,
            "ServiceSpecificCredentialId": credential_id,
            "ServiceName": service,
        }
    )


class _ActionLog:
    """WSGI middleware recording each request's AWS action, as the server saw it."""

    def __init__(self, app: Any, actions: list[str]) -> None:
        self.app, self.actions = app, actions

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        fields = parse_qs(body.decode("utf-8", "replace")) if body else parse_qs(environ.get("QUERY_STRING", ""))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        self.actions.append(fields.get("Action", [target.rsplit(".", 1)[-1] or "?"])[0])
        return self.app(environ, start_response)


@contextmanager
def moto_server(actions: list[str] | None = None) -> Iterator[str]:
    """Start moto on an ephemeral loopback port; yield its endpoint URL.

    ``actions``, when given, receives the name of every action the server handled.
    """
    import logging

    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # AdministratorAccess & co.
    _install_service_credentials()

    class _Server(ThreadedMotoServer):  # type: ignore[misc]
        def _server_entry(self) -> None:
            app: Any = DomainDispatcherApplication(create_backend_app)
            if actions is not None:
                app = _ActionLog(app, actions)
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
