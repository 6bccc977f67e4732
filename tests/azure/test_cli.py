"""End to end through the CLI: ``partner-nhi scan --connector azure`` against the emulator,
twice; the second run loses a subscription and the application listing, and nothing
found in the first run is resolved by that failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from partner_nhi.cli import app
from partner_nhi.connectors.microsoft.emulator import arm_error, graph_error
from partner_nhi.connectors.microsoft.emulator.demo import demo_tenant

REGISTRY = Path(__file__).parents[2] / "scanner" / "demo" / "registry.yaml"


def _scan(config: Path, db: str, output: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        app,
        [
            "scan",
            "--connector",
            "azure",
            "--config",
            str(config),
            "--registry",
            str(REGISTRY),
            "--format",
            "json",
            "--output",
            str(output),
            "--db",
            db,
        ],
    )
    return result.exit_code, json.loads(output.read_text())


def test_scan_then_partial_scan_keeps_findings_open(emulate, tmp_path: Path) -> None:
    emulator = emulate(demo_tenant())
    config = tmp_path / "partner-nhi.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "connectors": {"azure": emulator.settings()},
                "retry": {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.05},
            }
        )
    )
    db = f"sqlite:///{tmp_path / 'history.db'}"

    code, first = _scan(config, db, tmp_path / "run1.json")
    assert code == 0 and first["run"]["status"] == "complete"
    [scope] = first["run"]["scopes"]
    assert scope["api_calls"] == 7 and scope["identity_count"] == 8
    by_rule = {(f["rule"], f.get("reason")) for f in first["findings"]}
    assert {
        ("orphaned-identity", "partner-offboarded"),
        ("orphaned-identity", "owner-departed"),
        ("expired-credential", None),
        ("expiring-credential", None),
        ("stale-identity", None),
        ("multiple-active-credentials", None),
        ("long-lived-credential", None),
    } <= by_rule
    acme = next(i for i in first["identities"] if i["name"] == "acme-sync")
    assert (acme["partner"], acme["owner"]) == ("acme", "alice@example.com")
    mi_findings = [
        f
        for f in first["findings"]
        if f["identity"] == next(i["id"] for i in first["identities"] if i["name"] == "acme-deploy-identity")
    ]
    assert mi_findings and all(f["severity"] == "critical" for f in mi_findings)  # privileged

    subscription = emulator.tenant.subscriptions[0].id
    emulator.arm.fail("GET", rf"/subscriptions/{subscription}/", arm_error(403, "AuthorizationFailed", "no"), times=50)
    emulator.graph.fail("GET", r"/v1\.0/applications$", graph_error(403, "Authorization_RequestDenied", "no"), times=50)
    code, second = _scan(config, db, tmp_path / "run2.json")

    assert code == 3 and second["run"]["status"] == "partial"
    units = {u["resource_type"]: u["status"] for u in second["run"]["scopes"][0]["units"]}
    assert units["applications"] == "failed" and units[f"role-assignments/{subscription}"] == "failed"
    assert units["service-principals"] == "complete"
    second_status = {f["id"]: f["status"] for f in second["findings"]}
    assert {f["id"]: second_status.get(f["id"]) for f in first["findings"]} == {
        f["id"]: "open" for f in first["findings"]
    }
