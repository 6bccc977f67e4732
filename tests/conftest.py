"""Test setup shared by every test: dummy cloud credentials so nothing can reach a real account."""

from __future__ import annotations

import os

from helpers.databases import database_url, new_postgres_database, postgres_server, postgres_url

__all__ = ["database_url", "new_postgres_database", "postgres_server", "postgres_url"]  # fixtures every test may use

# Set before any SDK is imported: a real credential chain must never be found.
_DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000000",
    "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000000",
    "GOOGLE_APPLICATION_CREDENTIALS": os.devnull,
    "GOOGLE_CLOUD_PROJECT": "partner-nhi-test",
    "NO_PROXY": "127.0.0.1,localhost",
}
os.environ.update(_DUMMY_ENV)
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AZURE_CLIENT_SECRET", "PARTNER_NHI_AZURE_ACCESS_TOKEN"):
    os.environ.pop(_name, None)


def pytest_configure() -> None:
    """Logs go to stderr as JSON in every test, as in a container."""
    from partner_nhi import logs

    logs.configure(verbosity=1, json_logs=True)


def _loopback_only() -> None:
    """Refuse, in every test, a Python socket connection to anything but this machine."""
    import ipaddress
    import socket

    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def check(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            host = str(address[0])
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise ConnectionRefusedError(f"tests may only reach 127.0.0.1, not {host}")

    def connect(sock: socket.socket, address: object) -> None:
        check(sock, address)
        original_connect(sock, address)  # type: ignore[arg-type]

    def connect_ex(sock: socket.socket, address: object) -> int:
        check(sock, address)
        return original_connect_ex(sock, address)  # type: ignore[arg-type]

    socket.socket.connect = connect  # type: ignore[assignment,method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[assignment,method-assign]


_loopback_only()
