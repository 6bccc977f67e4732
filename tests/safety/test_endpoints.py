"""Emulator mode is for loopback endpoints only, as every client reads them; links are followed
only on the configured endpoint's origin.

The hostile tables are refused through the connectors' own settings (the Azure token, GCP's
anonymous mode), each refusal naming the value; the honest loopback forms are accepted, and
every HTTP client the connectors use reads each of them as the same loopback host.
"""

from __future__ import annotations

import ipaddress

import httpx
import pytest
import requests
import urllib3
from azure.core.rest import HttpRequest

from helpers.hostile_endpoints import (
    honest_grpc_targets,
    honest_urls,
    hostile_grpc_targets,
    hostile_urls,
)
from partner_nhi.connectors.azure import AzureConnector
from partner_nhi.connectors.gcp import GcpConnector
from partner_nhi.connectors.m365 import M365Connector
from partner_nhi.connectors.microsoft.auth import TOKEN_ENV
from partner_nhi.endpoints import ForeignURL, Origin, check_same_origin, origin
from partner_nhi.errors import ConfigError

PORT = 8443
TENANT = "11111111-aaaa-4bbb-8ccc-000000000001"
LOOPBACK = f"http://127.0.0.1:{PORT}"
GCP_LOOPBACK = {
    "projects": ["corp-prod"],
    "iam_endpoint": f"127.0.0.1:{PORT}",
    "iam_rest_endpoint": LOOPBACK,
    "resourcemanager_endpoint": LOOPBACK,
    "policyanalyzer_endpoint": LOOPBACK,
    "anonymous": True,
}
HOSTILE_URLS = hostile_urls(PORT)
HOSTILE_GRPC = hostile_grpc_targets(PORT)


@pytest.fixture
def emulator_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "emulator-token")


def _names(error: ConfigError, value: str) -> bool:
    """The message names the value, as written or (for a control character or backslash) escaped."""
    value = value.rstrip("/")  # as the settings store it
    return value in str(error) or repr(value) in str(error)


@pytest.mark.usefixtures("emulator_token")
@pytest.mark.parametrize("url", HOSTILE_URLS, ids=list(HOSTILE_URLS.values()))
@pytest.mark.parametrize("field", ["graph_endpoint", "arm_endpoint"])
def test_the_azure_token_is_refused_for_a_hostile_endpoint(url: str, field: str) -> None:
    settings = {"tenant_id": TENANT, "subscriptions": ["s"], "graph_endpoint": LOOPBACK, "arm_endpoint": LOOPBACK}
    with pytest.raises(ConfigError) as refused:
        AzureConnector({**settings, field: url})
    assert _names(refused.value, url), str(refused.value)


@pytest.mark.usefixtures("emulator_token")
@pytest.mark.parametrize("url", HOSTILE_URLS, ids=list(HOSTILE_URLS.values()))
def test_the_m365_token_is_refused_for_a_hostile_graph_endpoint(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        M365Connector({"tenant_id": TENANT, "graph_endpoint": url})
    assert _names(refused.value, url), str(refused.value)


@pytest.mark.parametrize("url", HOSTILE_URLS, ids=list(HOSTILE_URLS.values()))
@pytest.mark.parametrize("field", ["iam_rest_endpoint", "resourcemanager_endpoint", "policyanalyzer_endpoint"])
def test_gcp_anonymous_mode_is_refused_for_a_hostile_rest_endpoint(url: str, field: str) -> None:
    with pytest.raises(ConfigError, match=r"connectors\.gcp") as refused:
        GcpConnector({**GCP_LOOPBACK, field: url})
    assert _names(refused.value, url), str(refused.value)


@pytest.mark.parametrize("target", HOSTILE_GRPC, ids=list(HOSTILE_GRPC.values()))
def test_gcp_anonymous_mode_is_refused_for_a_hostile_grpc_target(target: str) -> None:
    with pytest.raises(ConfigError, match=r"connectors\.gcp") as refused:
        GcpConnector({**GCP_LOOPBACK, "iam_endpoint": target})
    assert _names(refused.value, target), str(refused.value)


@pytest.mark.usefixtures("emulator_token")
@pytest.mark.parametrize("url", honest_urls(PORT))
def test_the_azure_token_is_accepted_for_a_loopback_endpoint(url: str) -> None:
    AzureConnector({"tenant_id": TENANT, "subscriptions": ["s"], "graph_endpoint": url, "arm_endpoint": url})
    M365Connector({"tenant_id": TENANT, "graph_endpoint": url})


@pytest.mark.parametrize("url", honest_urls(PORT))
def test_gcp_anonymous_mode_is_accepted_for_a_loopback_rest_endpoint(url: str) -> None:
    fields = ("iam_rest_endpoint", "resourcemanager_endpoint", "policyanalyzer_endpoint")
    assert GcpConnector({**GCP_LOOPBACK, **dict.fromkeys(fields, url)}).settings.anonymous


@pytest.mark.parametrize("target", honest_grpc_targets(PORT))
def test_gcp_anonymous_mode_is_accepted_for_a_loopback_grpc_target(target: str) -> None:
    assert GcpConnector({**GCP_LOOPBACK, "iam_endpoint": target}).settings.iam_endpoint == target


def _loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    return host == "localhost" or ipaddress.ip_address(host).is_loopback


@pytest.mark.parametrize("url", honest_urls(PORT))
def test_every_client_reads_an_accepted_url_as_the_check_does(url: str) -> None:
    """The check accepts only forms on which the clients agree: httpx (Graph, Policy Analyzer),
    requests and urllib3 (ARM through azure-core, resource manager through google-auth)."""
    expected = origin(url)
    prepared = requests.Request("GET", url).prepare().url
    assert prepared is not None
    readings = {
        "httpx": httpx.URL(url).host,
        "urllib3": urllib3.util.parse_url(url).host,
        "requests": urllib3.util.parse_url(prepared).host,
        "azure-core": urllib3.util.parse_url(HttpRequest("GET", url).url).host,
    }
    for client, host in readings.items():
        assert host is not None and _loopback_host(host), (client, host)
        assert origin(f"{expected.scheme}://{_bracketed(host)}:{expected.port}") == expected, (client, host)


def _bracketed(host: str) -> str:
    return f"[{host.strip('[]')}]" if ":" in host else host


GRAPH = Origin("https", "graph.microsoft.com", 443)


@pytest.mark.parametrize(
    "link",
    [
        "https://graph.microsoft.com/v1.0/applications?$skiptoken=X",
        "https://graph.microsoft.com:443/v1.0/applications?$skiptoken=X",
        "HTTPS://Graph.Microsoft.com/v1.0/applications",
        "https://graph.microsoft.com/v1.0/users?$filter=mail%20eq%20'a@b.example'",
    ],
)
def test_a_link_on_the_endpoint_origin_is_followed(link: str) -> None:
    check_same_origin(link, GRAPH)


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/v1.0/applications?$skiptoken=X",
        "http://graph.microsoft.com/v1.0/applications",
        "https://graph.microsoft.com:8443/v1.0/applications",
        "https://graph.microsoft.com.evil.example/v1.0/applications",
        "https://graph.microsoft.com./v1.0/applications",
        "https://user@graph.microsoft.com/v1.0/applications",
        "https://evil.example\\@graph.microsoft.com/v1.0/applications",
        "https://graph.microsoft.com@evil.example/v1.0/applications",
        "//evil.example/v1.0/applications",
        "/v1.0/applications",
    ],
)
def test_a_link_elsewhere_is_refused_naming_it(link: str) -> None:
    with pytest.raises(ForeignURL, match="refusing to follow") as refused:
        check_same_origin(link, GRAPH)
    assert link in str(refused.value)
