"""The test session cannot reach a real cloud: only loopback connections are allowed."""

from __future__ import annotations

import socket

import httpx
import pytest


def test_non_loopback_connection_is_refused() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(ConnectionRefusedError, match=r"169\.254\.169\.254"),
    ):
        sock.connect(("169.254.169.254", 80))  # the cloud metadata endpoint


def test_sdk_http_clients_are_refused_too() -> None:
    with pytest.raises(httpx.ConnectError, match=r"only reach 127\.0\.0\.1"):
        httpx.get("http://203.0.113.10/", timeout=2)


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
