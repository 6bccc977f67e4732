"""End to end through the CLI: ``partner-nhi scan --connector gcp`` against the
emulated demo estate, then a failed and a degraded run that must keep findings open."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from partner_nhi.cli import app
from partner_nhi.connectors.gcp.emulator import Emulators, faults, running
from partner_nhi.connectors.gcp.emulator.demo import demo_estate

REGISTRY = str(files("partner_nhi.demo").joinpath("registry.yaml"))
ACME = "acme-deployer@corp-prod.iam.gserviceaccount.com"
ETL = "etl-loader@corp-prod.iam.gserviceaccount.com"


@pytest.fixture
def demo() -> Any:
    with running(demo_estate()) as emulators:
        yield emulators


def _scan(emulators: Emulators, tmp_path: Path, name: str) -> tuple[int, dict[str, Any]]:
    config = tmp_path / "partner-nhi.yaml"
    gcp = emulators.settings(
        organization_domains=["corp.example"],
        retry={"initial": 0.01, "maximum": 0.05, "deadline": 5, "attempts": 3},
    )
    config.write_text(
        yaml.safe_dump(
            {
                "connectors": {"gcp": gcp},
                "retry": {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.02},
            }
        )
    )
    report = tmp_path / f"{name}.json"
    args = ["scan", "--connector", "gcp", "--config", str(config), "--registry", REGISTRY]
    args += [
        "--format",
        "json",
        "--output",
        str(report),
        "--db",
        f"sqlite:///{tmp_path / 'nhi.db'}",
    ]
    result = CliRunner().invoke(app, args)
    assert report.exists(), result.output
    return result.exit_code, json.loads(report.read_text())


def _findings(report: dict[str, Any]) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    return {(f["rule"], f["identity"], f["credential"]): f for f in report["findings"]}


def test_scan_reports_gcp_identities_and_findings_with_partner_and_owner(demo, tmp_path):
    code, report = _scan(demo, tmp_path, "run1")
    assert code == 0
    assert report["run"]["status"] == "complete"
    [scope] = report["run"]["scopes"]
    assert (scope["connector"], scope["scope"], scope["status"]) == ("gcp", "corp-prod", "complete")
    # 1 + 5 key listings + 1 policy + 1 projects.get + 1 pools + 1 providers + 2 activity queries
    assert scope["api_calls"] == 12

    identities = {i["id"]: i for i in report["identities"]}
    assert (identities[ACME]["partner"], identities[ACME]["owner"]) == ("acme", "alice@example.com")
    member = identities["serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com"]
    assert member["partner"] == "acme"  # by gcp_projects
    assert identities["user:ops-lead@globex.example"]["partner"] == "globex"  # by gcp_domains
    assert identities["user:ops-lead@globex.example"]["owner"] == "bob@example.com"

    findings = _findings(report)
    acme_key = identities[ACME]["credentials"][0]["id"]
    orphaned = findings[("orphaned-identity", ACME, None)]
    assert (orphaned["reason"], orphaned["partner"], orphaned["owner"]) == (
        "partner-offboarded",
        "acme",
        "alice@example.com",
    )
    assert findings[("unrotated-credential", ACME, acme_key)]["severity"] == "critical"
    assert ("stale-credential", ACME, acme_key) in findings
    assert ("multiple-active-credentials", ETL, None) in findings
    unused = [c["id"] for c in identities[ETL]["credentials"] if c["last_used"] == "never"]
    assert ("stale-credential", ETL, unused[0]) in findings
    unknown = findings[("orphaned-identity", "user:someone@unknown-contractor.example", None)]
    assert unknown["reason"] == "unregistered-external"
    exporter = "reporting-exporter@corp-prod.iam.gserviceaccount.com"
    assert {r for r, i, _ in findings if i == exporter} >= {
        "expired-credential",
        "expiring-credential",
    }
    # acme's AWS account may still exchange tokens through a provider with no attribute condition
    provider = next(i for i in identities.values() if i["kind"] == "gcp-workload-identity-provider")
    assert (provider["name"], provider["partner"]) == ("partners/acme-aws", "acme")  # by aws_account_ids
    federation = findings[("federated-trust-too-broad", provider["id"], provider["id"])]
    assert (federation["severity"], federation["partner"]) == ("high", "acme")  # medium, offboarded partner
    assert federation["evidence"]["federation"] == "AWS account 111122223333"
    assert "no attribute condition" in federation["evidence"]["admits"]
    disabled = "legacy-batch@corp-prod.iam.gserviceaccount.com"
    assert ("stale-identity", disabled, None) not in findings  # disabled is not stale
    assert not any(i == "globex-monitoring@corp-prod.iam.gserviceaccount.com" for _, i, _ in findings)


def test_a_failed_project_keeps_earlier_findings_open(demo, tmp_path):
    _, first = _scan(demo, tmp_path, "run1")
    earlier = [k for k in _findings(first) if k[1] == ACME]
    assert earlier

    demo.iam.fail("ListServiceAccounts", faults.permission_denied("iam.serviceAccounts.list"), 99)
    code, failed = _scan(demo, tmp_path, "run2")
    assert code == 3
    assert failed["run"]["status"] == "partial"
    units = {u["resource_type"]: u for u in failed["run"]["scopes"][0]["units"]}
    assert units["service-accounts"]["status"] == "failed"
    assert units["service-accounts"]["error_kind"] == "forbidden"
    kept = _findings(failed)
    assert [f for f in kept.values() if f["status"] == "resolved"] == []
    assert {kept[key]["status"] for key in earlier} == {"open"}


def test_missing_last_use_evidence_resolves_no_staleness_finding(demo, tmp_path):
    _, first = _scan(demo, tmp_path, "run1")
    acme_key = next(i for i in first["identities"] if i["id"] == ACME)["credentials"][0]["id"]
    assert ("stale-credential", ACME, acme_key) in _findings(first)

    disabled = faults.service_disabled("policyanalyzer.googleapis.com", "Policy Analyzer API")
    demo.policy_analyzer.fail("GET", "activities:query", disabled.http_response(), times=99)
    code, degraded = _scan(demo, tmp_path, "run2")
    # the inventory is whole: a disabled evidence API is named, not a partial scan
    assert (code, degraded["run"]["status"]) == (0, "complete")
    units = {u["resource_type"]: u for u in degraded["run"]["scopes"][0]["units"]}
    assert units["key-last-authentication"]["status"] == "skipped"
    assert units["key-last-authentication"]["enrichment"] is True
    assert "SERVICE_DISABLED" in units["key-last-authentication"]["error"] or (
        "has not been used" in units["key-last-authentication"]["error"]
    )
    acme = next(i for i in degraded["identities"] if i["id"] == ACME)
    assert acme["credentials"][0]["last_used"] == "unknown"
    stale = _findings(degraded)[("stale-credential", ACME, acme_key)]
    assert stale["status"] == "open"  # unknown is not never: neither fired anew nor resolved


def test_anonymous_mode_against_google_is_bad_input(tmp_path):
    config = tmp_path / "partner-nhi.yaml"
    config.write_text(yaml.safe_dump({"connectors": {"gcp": {"projects": ["corp-prod"], "anonymous": True}}}))
    args = ["scan", "--connector", "gcp", "--config", str(config), "--registry", REGISTRY]
    result = CliRunner().invoke(app, [*args, "--db", f"sqlite:///{tmp_path / 'nhi.db'}"])
    assert result.exit_code == 2
    assert "anonymous mode is for local emulators only" in result.output
