"""Graph and ARM follow a next-page link or a redirect only on the configured endpoint's origin,
through the real SDKs, with the emulator token or any other credential: otherwise the unit fails
naming the link, and the other host receives nothing, token or not.

The other host is a :class:`~helpers.listener.Recorder` on another loopback port (another
origin): the test suite's socket guard lets loopback through, so a leak would be recorded, not
hidden as a connection error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from helpers.listener import Recorder
from partner_nhi.connector import CallCounter, ErrorKind, UnitStatus
from partner_nhi.connectors.loopback import Response
from partner_nhi.connectors.microsoft.arm import open_authorization
from partner_nhi.connectors.microsoft.graph import open_graph
from partner_nhi.connectors.microsoft.paging import list_all
from partner_nhi.coverage import UnitOutcome
from partner_nhi.endpoints import ForeignURL

LinkOf = Callable[[str, Recorder, str], str]  # (the client's endpoint, the other host, a path) -> a link


@pytest.fixture
def other() -> Iterator[Recorder]:
    with Recorder() as recorder:
        yield recorder


def _on_other(endpoint: str, other: Recorder, path: str) -> str:
    return f"{other.url}{path}"


def _backslash_trick(endpoint: str, other: Recorder, path: str) -> str:
    """The issue's trick in a link: urllib3 (ARM) connects to the other port, httpx (Graph) to the endpoint."""
    return f"http://127.0.0.1:{other.port}\\@{endpoint.removeprefix('http://')}{path}"


def _other_scheme(endpoint: str, other: Recorder, path: str) -> str:
    return f"https://127.0.0.1:{other.port}{path}"


LINKS = {"another port": _on_other, "backslash and userinfo": _backslash_trick, "https": _other_scheme}


def _assert_refused(outcome: UnitOutcome, other: Recorder) -> None:
    """Nothing reached the other host; the unit failed, not retried (a link elsewhere stays
    elsewhere), naming the link as the client read it."""
    assert other.contacts == []
    assert outcome.status is UnitStatus.FAILED, outcome
    assert outcome.error_kind is ErrorKind.INVALID
    assert "refusing to follow" in (outcome.error or "")
    assert f"127.0.0.1:{other.port}" in (outcome.error or "")


@pytest.mark.parametrize("link_of", LINKS.values(), ids=list(LINKS))
def test_a_graph_next_link_elsewhere_fails_the_listing(emulate, kit, other: Recorder, link_of: LinkOf) -> None:
    emulator = emulate(kit.small_tenant())
    link = link_of(emulator.graph_endpoint, other, "/v1.0/applications?$skiptoken=2")
    emulator.graph.fail("GET", r"/v1\.0/applications$", Response(200, {"value": [], "@odata.nextLink": link}))

    scan = kit.collect(emulator.settings())

    _assert_refused(scan.outcomes["applications"], other)
    assert scan.outcomes["service-principals"].status is UnitStatus.COMPLETE


def test_a_batch_item_next_link_elsewhere_fails_its_chunk(emulate, kit, other: Recorder) -> None:
    emulator = emulate(kit.small_tenant())
    link = f"{other.url}/v1.0/applications/x/federatedIdentityCredentials?$skiptoken=2"
    item = Response(200, {"value": [], "@odata.nextLink": link})
    emulator.graph.fail("GET", r"/v1\.0/applications/[^/]+/federatedIdentityCredentials$", item)

    scan = kit.collect(emulator.settings())

    outcome = scan.outcomes["federated-credentials"]
    assert outcome.status is not UnitStatus.COMPLETE
    assert link in (outcome.error or "")
    assert other.contacts == []


def test_a_graph_redirect_elsewhere_is_not_followed(emulate, kit, other: Recorder) -> None:
    emulator = emulate(kit.small_tenant())
    link = f"{other.url}/v1.0/applications"
    emulator.graph.fail("GET", r"/v1\.0/applications$", Response(307, None, {"Location": link}))

    scan = kit.collect(emulator.settings())

    _assert_refused(scan.outcomes["applications"], other)


@pytest.mark.parametrize("link_of", LINKS.values(), ids=list(LINKS))
def test_an_arm_next_link_elsewhere_fails_the_subscription(emulate, kit, other: Recorder, link_of: LinkOf) -> None:
    emulator = emulate(kit.small_tenant())
    subscription = emulator.tenant.subscriptions[0].id
    path = f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
    link = link_of(emulator.arm_endpoint, other, path)
    emulator.arm.fail("GET", r"/roleAssignments$", Response(200, {"value": [], "nextLink": link}))

    scan = kit.collect(emulator.settings())

    _assert_refused(scan.outcomes[f"role-assignments/{subscription}"], other)


def test_an_arm_redirect_elsewhere_is_not_followed(emulate, kit, other: Recorder) -> None:
    emulator = emulate(kit.small_tenant())
    subscription = emulator.tenant.subscriptions[0].id
    link = f"{other.url}/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments"
    emulator.arm.fail("GET", r"/roleAssignments$", Response(307, None, {"Location": link}))

    scan = kit.collect(emulator.settings())

    _assert_refused(scan.outcomes[f"role-assignments/{subscription}"], other)


class _IssuedCredential:
    """A credential that is not the emulator's static one (as azure-identity's would be)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, 2**31)


def test_graph_with_real_credentials_refuses_a_link_elsewhere(emulate, kit, other: Recorder) -> None:
    emulator = emulate(kit.small_tenant())
    link = f"{other.url}/v1.0/applications?$skiptoken=2"
    emulator.graph.fail("GET", r"/v1\.0/applications$", Response(200, {"value": [], "@odata.nextLink": link}))

    async def listing() -> None:
        graph = open_graph(emulator.graph_endpoint, _IssuedCredential(emulator.token), CallCounter())
        try:
            await list_all(graph, lambda: "/v1.0/applications", "applications")
        finally:
            await graph.aclose()

    with pytest.raises(ForeignURL, match="refusing to follow"):
        asyncio.run(listing())
    assert other.contacts == []


def test_arm_with_real_credentials_refuses_a_link_elsewhere(emulate, kit, other: Recorder) -> None:
    """azure-core's own bearer policy (it refuses plain http unless told, as here for the emulator)."""
    emulator = emulate(kit.small_tenant())
    subscription = emulator.tenant.subscriptions[0].id
    link = f"{other.url}/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments"
    emulator.arm.fail("GET", r"/roleAssignments$", Response(200, {"value": [{"id": "a"}], "nextLink": link}))

    client = open_authorization(emulator.arm_endpoint, subscription, _IssuedCredential(emulator.token), CallCounter())
    with client, pytest.raises(ForeignURL, match="refusing to follow"):
        list(client.role_assignments.list_for_subscription(enforce_https=False))
    assert other.contacts == []


def test_loopback_endpoints_are_reached_without_the_environment_proxy(
    emulate, kit, other: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy cannot reach this machine's emulator; it would receive the token in plain text."""
    emulator = emulate(kit.small_tenant())
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, other.url)
        monkeypatch.setenv(name.upper(), other.url)

    scan = kit.collect(emulator.settings())

    assert other.contacts == []
    assert {o.status for o in scan.outcomes.values()} == {UnitStatus.COMPLETE}
