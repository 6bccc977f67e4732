"""The ``connectors.gcp`` config section: anonymous mode only for loopback endpoints."""

from __future__ import annotations

import pytest

from partner_nhi.connectors.gcp import GcpConnector
from partner_nhi.errors import ConfigError

LOOPBACK = {
    "projects": ["corp-prod"],
    "iam_endpoint": "127.0.0.1:50051",
    "iam_rest_endpoint": "http://127.0.0.1:50052",
    "resourcemanager_endpoint": "http://localhost:8080",
    "policyanalyzer_endpoint": "http://[::1]:8081",
    "anonymous": True,
}


def test_anonymous_accepted_for_loopback_endpoints():
    connector = GcpConnector(LOOPBACK)
    assert connector.settings.anonymous is True
    assert [s.id for s in connector.scopes()] == ["corp-prod"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("iam_endpoint", "iam.googleapis.com:443"),
        ("iam_rest_endpoint", "https://iam.googleapis.com"),
        ("resourcemanager_endpoint", "https://cloudresourcemanager.googleapis.com"),
        ("policyanalyzer_endpoint", "http://10.0.0.5:8081"),
        ("policyanalyzer_endpoint", "http://127.0.0.1.evil.example:8081"),
    ],
)
def test_anonymous_refused_for_a_remote_endpoint(key, value):
    with pytest.raises(ConfigError, match="anonymous") as raised:
        GcpConnector({**LOOPBACK, key: value})
    assert "connectors.gcp" in str(raised.value)
    assert value in str(raised.value)


def test_defaults_are_the_google_endpoints():
    settings = GcpConnector({"projects": ["p"]}).settings
    assert settings.anonymous is False
    assert settings.iam_endpoint == "iam.googleapis.com:443"
    assert settings.resourcemanager_endpoint == "https://cloudresourcemanager.googleapis.com"
    assert settings.policyanalyzer_endpoint == "https://policyanalyzer.googleapis.com"


@pytest.mark.parametrize(
    "section",
    [{}, {"projects": ["p"], "projectz": ["typo"]}, {"parent": "organisations/1"}],
)
def test_bad_sections_are_config_errors(section):
    with pytest.raises(ConfigError, match=r"connectors\.gcp"):
        GcpConnector(section)


def test_organization_domains_compare_in_lower_case():
    settings = GcpConnector({"projects": ["p"], "organization_domains": ["Corp.Example"]}).settings
    assert settings.organization_domains == ["corp.example"]
