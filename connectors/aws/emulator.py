"""A local AWS for tests and the demo: moto's server on 127.0.0.1, in-process.

moto lacks ListServiceSpecificCredentials (it answers HTTP 500); this adds a
read-only version backed by :data:`SERVICE_CREDENTIALS`, which seeding fills.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import os
from datetime import datetime
from typing import Any

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


@contextmanager
def moto_server() -> Iterator[str]:
    """Start moto on an ephemeral loopback port; yield its endpoint URL."""
    import logging

    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # AdministratorAccess & co.
    _install_service_credentials()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
