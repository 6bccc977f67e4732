"""`partner-nhi demo --connector aws`: the simulated estate shows the trust findings with the
partner in the evidence, attribution by OIDC subject, privilege through a group, human use and
an expiring API key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import run_cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo") / "demo.json"
    with pytest.MonkeyPatch.context() as monkeypatch:
        outcome = run_cli(monkeypatch, "demo", "--connector", "aws", "--format", "json", "--output", str(out))
    assert outcome.code == 0, outcome.stderr
    document: dict[str, Any] = json.loads(Path(out).read_text())
    return document


def found(document: dict[str, Any], rule: str) -> dict[str, dict[str, Any]]:
    return {f["identity_name"]: f for f in document["findings"] if f["rule"] == rule}


def test_partner_trusts_without_external_id_name_the_partner(demo: dict[str, Any]) -> None:
    trusts = found(demo, "trust-without-external-id")
    assert set(trusts) == {"acme-crossaccount", "initech-support", "unknown-vendor-access"}
    acme = trusts["acme-crossaccount"]
    assert (acme["partner"], acme["severity"], acme["evidence"]["partner"]) == ("acme", "critical", "acme")
    assert acme["evidence"]["parties"] == [
        {"kind": "aws-account", "value": "111122223333", "registered": True, "detail": "no sts:ExternalId condition"}
    ]
    unknown = trusts["unknown-vendor-access"]
    assert unknown["partner"] is None and unknown["evidence"]["parties"][0]["registered"] is False
    assert "globex-readonly" not in trusts  # its trust requires the external id globex issued


def test_open_federated_dangling_trusts_and_human_use(demo: dict[str, Any]) -> None:
    assert found(demo, "trust-open-to-anyone")["shared-audit-reader"]["severity"] == "critical"
    federated = found(demo, "federated-trust-too-broad")
    assert set(federated) == {"github-actions-deploy"} and federated["github-actions-deploy"]["partner"] == "globex"
    assert federated["github-actions-deploy"]["evidence"]["admits"].startswith("any subject")
    assert found(demo, "dangling-trust")["legacy-bridge"]["evidence"]["deleted_principals"] == ["AROAKSCDLFT9R5DQP782U"]
    assert found(demo, "human-use-of-nhi")["globex-ops"]["partner"] == "globex"
    assert set(found(demo, "expiring-credential")) == {"globex-ops"}


def test_attribution_by_oidc_subject_and_privilege_through_a_group(demo: dict[str, Any]) -> None:
    identities = {i["name"]: i for i in demo["identities"]}
    release = identities["platform-release"]
    assert release["partner"] == "globex" and "oidc_subjects" in release["attribution"]["detail"]
    deployer = identities["ci-deployer"]
    assert deployer["privileged"] and deployer["permissions"] == ["group:deployers:deployers-admin"]
