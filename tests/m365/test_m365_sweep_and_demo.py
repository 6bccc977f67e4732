"""The offboarding sweep and the demo for third-party apps: each grant and assignment with the
command that removes it (valid shell), and ``partner-nhi demo`` showing partners' apps, their
permissions and the new rules, Microsoft's own apps never."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from helpers.cli import run_cli
from helpers.history import DEMO_REGISTRY
from partner_nhi.cli import app
from partner_nhi.connectors.m365 import M365Connector
from partner_nhi.connectors.microsoft.emulator.demo import demo_tenant

GRAPH = "https://graph.microsoft.com/v1.0"


def _config(tmp_path: Path, emulator: Any) -> Path:
    settings = emulator.settings()
    m365 = {k: settings[k] for k in ("tenant_id", "graph_endpoint")}  # the subscriptions: azure's
    config = tmp_path / "partner-nhi.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "registry": str(DEMO_REGISTRY),
                "database": f"sqlite:///{tmp_path / 'history.db'}",
                "connectors": {"azure": settings, "m365": m365},
                "retry": {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.02},
            }
        )
    )
    return config


def test_the_sweep_lists_each_grant_and_assignment_with_its_command(
    emulate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulate(demo_tenant())
    tenant = emulator.tenant
    acme = next(sp for sp in tenant.service_principals if sp["displayName"] == "Acme Connector")
    grant = next(g for g in tenant.oauth2_permission_grants if g["clientId"] == acme["id"])
    assignment = next(a for a in tenant.app_role_assignments if a["principalId"] == acme["id"])

    swept = run_cli(monkeypatch, "sweep", "--partner", "acme", "-c", str(_config(tmp_path, emulator)), "-f", "json")
    assert swept.code == 1  # acme still holds something active: the offboarding gate stays shut
    report = json.loads(swept.stdout)
    [holding] = [h for h in report["holdings"] if h["name"] == "Acme Connector"]
    assert holding["provider"] == "m365" and holding["active"]
    commands = [step["command"] for step in holding["revocation"]]
    assert commands == [
        f"az ad sp update --id {acme['id']} --set accountEnabled=false",
        f"az rest --method DELETE --url {GRAPH}/oauth2PermissionGrants/{grant['id']}",
        f"az rest --method DELETE --url {GRAPH}/servicePrincipals/{acme['id']}/appRoleAssignments/{assignment['id']}",
    ]  # disable first (reversible), then each grant and application permission
    assert [step["reversible"] for step in holding["revocation"]] == [True, False, False]
    assert {(s["provider"], s["scope"]) for s in holding["revocation"]} == {("m365", tenant.id)}
    assert "acme-sync" in {h["name"] for h in report["holdings"]}  # its azure holdings in the same sweep


def test_every_revocation_step_is_valid_shell(emulate, kit, tmp_path: Path) -> None:
    tenant = kit.vendor_tenant(apps=3)
    vendor = next(sp for sp in tenant.service_principals if sp["displayName"] == "vendor-000")
    from partner_nhi.connectors.microsoft.emulator import tenant as seed

    vendor["passwordCredentials"] = [seed.secret(kit.ago(5), kit.ago(-5))]
    vendor["keyCredentials"] = [seed.certificate(kit.ago(5), kit.ago(-5))]
    emulator = emulate(tenant)
    identities = kit.collect(kit.settings(emulator)).identities
    steps = [step for identity in identities for step in M365Connector.revocation_steps(identity)]
    commands = [s.command for s in steps]
    assert len(commands) == 3 * (1 + 3 + 1) + 2  # disable, 3 grants, 1 assignment each; a secret and a certificate
    assert [c for c in commands if " credential delete " in c][-1].endswith(" --cert")
    script = tmp_path / "revoke.sh"
    script.write_text("\n".join(commands) + "\n")
    bash = shutil.which("bash")
    assert bash is not None
    checked = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_the_demo_shows_partners_apps_their_permissions_and_the_new_rules(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    result = CliRunner().invoke(
        app, ["demo", "--connector", "azure", "--connector", "m365", "--format", "json", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["run"]["status"] == "complete"
    apps = {i["name"]: i for i in document["identities"] if i["connector"] == "m365"}
    assert sorted(apps) == ["Acme Connector", "Globex Insights", "Globex Mail Bridge", "QuickSign Pro"]
    names = [i["name"] for i in document["identities"]]
    assert len(names) == len(set(names))  # each app once, with both connectors
    for microsoft in ("Microsoft Graph", "Office 365 Exchange Online", "Graph Explorer", "acme-deploy-identity"):
        assert microsoft not in apps
    assert (apps["Globex Insights"]["partner"], apps["Globex Insights"]["owner"]) == ("globex", "bob@example.com")
    assert apps["QuickSign Pro"]["partner"] is None

    found = {(f["identity_name"], f["rule"], f["reason"]): f["severity"] for f in document["findings"]}
    assert found[("Acme Connector", "orphaned-identity", "partner-offboarded")] == "critical"
    assert found[("QuickSign Pro", "orphaned-identity", "unregistered-external")] == "critical"
    assert found[("QuickSign Pro", "third-party-high-privilege", None)] == "high"
    assert found[("Globex Mail Bridge", "third-party-unverified-publisher", None)] == "high"
    assert not [key for key in found if key[0] == "Globex Insights"]  # a verified partner's app, medium at most
