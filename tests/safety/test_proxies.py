"""On a network whose only way out is a proxy, every client must take the proxy the
environment names (``HTTPS_PROXY``) for a real cloud endpoint, skip it for hosts in
``NO_PROXY``, and never use it for a loopback emulator (that direction is proved in the
connectors' foreign-link tests). httpx ignores the environment once it is handed a transport,
which the same-origin check needs, so the Graph and Google REST clients are proved here.

A :class:`Recorder` on 127.0.0.1 plays the proxy: it records the ``CONNECT host:443`` a client
sends to open a tunnel, then closes the connection, so the call fails and nothing else is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import google.auth
import google.oauth2.credentials
import pytest

from helpers.listener import Recorder
from partner_nhi.connectors.gcp.clients import open_clients
from partner_nhi.connectors.gcp.settings import GcpSettings, RetrySettings
from partner_nhi.connectors.microsoft.auth import StaticTokenCredential
from partner_nhi.connectors.microsoft.graph import open_graph
from partner_nhi.connectors.same_origin import environment_proxy
from partner_nhi.contract import CallCounter

GRAPH = "https://graph.microsoft.com"
POLICY_ANALYZER = "https://policyanalyzer.googleapis.com"


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    with Recorder() as recorder:
        for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "http_proxy", "HTTP_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("https_proxy", recorder.url)
        monkeypatch.setenv("HTTPS_PROXY", recorder.url)
        yield recorder


def tunnels(recorder: Recorder) -> list[str]:
    return [c.first_bytes.split("\r\n")[0] for c in recorder.contacts if c.first_bytes.startswith("CONNECT ")]


def graph_call(endpoint: str) -> None:
    async def call() -> None:
        session = open_graph(endpoint, StaticTokenCredential("dummy-token"), CallCounter(), max_retries=0)
        try:
            await session.get_json("/v1.0/applications")
        finally:
            await session.aclose()

    asyncio.run(call())


def policy_analyzer_call(monkeypatch: pytest.MonkeyPatch) -> None:
    token = google.oauth2.credentials.Credentials(token="dummy-token")  # type: ignore[no-untyped-call]
    monkeypatch.setattr(google.auth, "default", lambda scopes=None: (token, None))
    settings = GcpSettings(projects=["corp-prod"], retry=RetrySettings(attempts=1, deadline=5))
    with open_clients(settings, CallCounter()) as clients:
        clients.activity.get("/v1/projects/corp-prod/locations/global/activityTypes/x/activities:query")


def test_graph_goes_through_the_environment_proxy(proxy: Recorder) -> None:
    with pytest.raises(Exception):  # noqa: B017 (the recorder closes the tunnel: any transport error)
        graph_call(GRAPH)
    assert tunnels(proxy) == ["CONNECT graph.microsoft.com:443 HTTP/1.1"]


def test_google_rest_goes_through_the_environment_proxy(proxy: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Exception):  # noqa: B017
        policy_analyzer_call(monkeypatch)
    assert tunnels(proxy) == ["CONNECT policyanalyzer.googleapis.com:443 HTTP/1.1"]


def test_no_proxy_is_obeyed(proxy: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", ".microsoft.com,policyanalyzer.googleapis.com")
    assert environment_proxy(GRAPH) is None and environment_proxy(POLICY_ANALYZER) is None
    with pytest.raises(Exception):  # noqa: B017 (direct: refused by the test's socket guard, or no DNS)
        graph_call(GRAPH)
    assert proxy.contacts == []


def test_the_proxy_named_for_each_endpoint(proxy: Recorder) -> None:
    assert environment_proxy(GRAPH) == proxy.url
    assert environment_proxy("http://127.0.0.1:8080") is None
    assert environment_proxy("http://localhost:8080") is None
