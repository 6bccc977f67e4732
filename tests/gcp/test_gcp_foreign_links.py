"""The GCP connector follows no URL it is handed (its pages are tokens), but its REST clients
could follow a redirect: requests (resource manager, under google-auth) follows one by default.
A redirect to another host fails the call and the other host receives nothing; httpx (Policy
Analyzer, workload identity pools) does not follow one at all. A loopback endpoint is never
reached through a proxy named in the environment, over gRPC or REST.

The other host is a :class:`~helpers.listener.Recorder` on another loopback port: the test
suite's socket guard lets loopback through, so a leak would be recorded, not hidden.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers.listener import Recorder
from partner_nhi.connector import CallCounter, UnitStatus
from partner_nhi.connectors.gcp import GcpConnector
from partner_nhi.connectors.gcp.clients import open_clients
from partner_nhi.connectors.gcp.coverage import IAM_POLICY, KEY_LAST_AUTHENTICATION, WORKLOAD_PROVIDERS
from partner_nhi.connectors.loopback import Response
from partner_nhi.endpoints import ForeignURL

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "grpc_proxy")


@pytest.fixture
def other() -> Iterator[Recorder]:
    with Recorder() as recorder:
        yield recorder


def test_a_resource_manager_redirect_elsewhere_is_not_followed(emulators, settings, collect, other) -> None:
    location = f"{other.url}/v3/projects/corp-prod:getIamPolicy"
    emulators.resource_manager.fail("POST", r":getIamPolicy$", Response(307, None, {"Location": location}), times=99)

    result = collect(settings, "corp-prod")

    assert other.contacts == []
    outcome = result.outcomes[IAM_POLICY]
    assert outcome.status is UnitStatus.FAILED
    assert f"refusing to follow {location}" in (outcome.error or "")


@pytest.mark.parametrize(
    ("server", "path", "unit"),
    [
        ("policy_analyzer", "activities:query", KEY_LAST_AUTHENTICATION),
        ("iam_rest", "workloadIdentityPools$", WORKLOAD_PROVIDERS),
    ],
)
def test_an_httpx_redirect_elsewhere_is_not_followed(emulators, settings, collect, other, server, path, unit) -> None:
    location = f"{other.url}/v1/elsewhere"
    getattr(emulators, server).fail("GET", path, Response(307, None, {"Location": location}), times=99)

    result = collect(settings, "corp-prod")

    assert other.contacts == []
    outcome = result.outcomes[unit]
    assert outcome.status is UnitStatus.FAILED
    assert f"redirected to {location} (redirects are not followed)" in (outcome.error or "")


@pytest.mark.parametrize("client", ["activity", "iam_rest"])
def test_an_absolute_url_elsewhere_is_not_sent_by_the_rest_clients(settings, other, client) -> None:
    """Were a call site to pass a URL taken from a response, the client would still refuse it."""
    with (
        open_clients(GcpConnector(settings).settings, CallCounter()) as clients,
        pytest.raises(ForeignURL, match="refusing to follow"),
    ):
        getattr(clients, client).get(f"{other.url}/v1/elsewhere")
    assert other.contacts == []


def test_loopback_endpoints_are_reached_without_the_environment_proxy(
    emulators, settings, collect, other, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, other.url)
        monkeypatch.setenv(name.upper(), other.url)

    result = collect(settings, "corp-prod")

    assert other.contacts == []
    assert {o.status for o in result.outcomes.values()} == {UnitStatus.COMPLETE}
