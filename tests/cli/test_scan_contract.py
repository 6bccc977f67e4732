"""The CLI contract acceptance checks rely on: JSON document, statuses, exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers.moto import Moto
from partner_nhi.cli import app

REGISTRY = Path(__file__).resolve().parents[2] / "config" / "registry.example.yaml"


@pytest.fixture
def estate(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    seed = moto.seeder()
    seed.user("acme-sync", 400)
    seed.key("acme-sync", 300, used_days_ago=2)
    seed.user("ci-deployer", 50)  # assigned to globex / bob in the example registry
    seed.key("ci-deployer", 20, used_days_ago=1)
    return seed.key("ci-deployer", 10, used_days_ago=1)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def scan_json(tmp_path: Path, db: str, *extra: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "report.json"
    result = invoke(
        "scan",
        "--registry",
        str(REGISTRY),
        "--connector",
        "aws",
        "--format",
        "json",
        "--output",
        str(out),
        "--db",
        db,
        *extra,
    )
    return result.exit_code, json.loads(out.read_text())


def test_json_document_contract(tmp_path: Path, estate: str) -> None:
    code, document = scan_json(tmp_path, f"sqlite:///{tmp_path}/h.db")
    assert code == 0
    assert set(document) == {"run", "identities", "findings"}
    run = document["run"]
    assert {"id", "started", "finished", "status", "scopes"} <= set(run) and run["status"] == "complete"
    [scope] = run["scopes"]
    assert scope["connector"] == "aws" and scope["scope"] == "123456789012" and scope["status"] == "complete"
    assert scope["error"] is None and scope["identity_count"] == 2 and scope["api_calls"] > 0

    identities = {i["name"]: i for i in document["identities"]}
    deployer = identities["ci-deployer"]
    for key in (
        "id",
        "provider",
        "kind",
        "scope",
        "name",
        "created",
        "last_used",
        "enabled",
        "partner",
        "owner",
        "attribution",
        "credentials",
    ):
        assert key in deployer
    assert deployer["id"] == "arn:aws:iam::123456789012:user/ci-deployer"
    assert (deployer["partner"], deployer["owner"]) == ("globex", "bob@example.com")
    assert deployer["attribution"]["source"] == "assignment"
    assert {c["status"] for c in deployer["credentials"]} == {"active"}
    assert set(deployer["credentials"][0]) >= {"id", "kind", "status", "created", "last_used", "expires"}

    findings = {(f["rule"], f["identity"].rsplit("/", 1)[-1]): f for f in document["findings"]}
    orphan = findings[("orphaned-identity", "acme-sync")]
    for key in (
        "id",
        "rule",
        "severity",
        "identity",
        "credential",
        "partner",
        "owner",
        "reason",
        "status",
        "message",
        "remediation",
        "frameworks",
    ):
        assert key in orphan
    assert orphan["reason"] == "partner-offboarded" and orphan["status"] == "new"
    assert orphan["severity"] == "critical" and orphan["partner"] == "acme" and orphan["owner"] == "alice@example.com"
    assert findings[("multiple-active-credentials", "ci-deployer")]["credential"] is None
    assert {f["severity"] for f in document["findings"]} <= {"low", "medium", "high", "critical"}


def test_statuses_across_runs_and_resolved_in_document(tmp_path: Path, estate: str, moto: Moto) -> None:
    db = f"sqlite:///{tmp_path}/h.db"
    _, first = scan_json(tmp_path, db)
    _, second = scan_json(tmp_path, db)
    assert {f["id"]: f["status"] for f in second["findings"]} == dict.fromkeys(
        (f["id"] for f in first["findings"]), "open"
    )

    moto.seeder().iam.delete_access_key(UserName="ci-deployer", AccessKeyId=estate)
    _, third = scan_json(tmp_path, db)
    multiple = [f for f in third["findings"] if f["rule"] == "multiple-active-credentials"]
    assert [f["status"] for f in multiple] == ["resolved"]
    assert multiple[0]["id"] == next(f["id"] for f in first["findings"] if f["rule"] == "multiple-active-credentials")

    history = invoke("findings", "--db", db, "--rule", "multiple-active-credentials", "--format", "json")
    assert [f["status"] for f in json.loads(history.output)] == ["resolved"]
    by_partner = json.loads(
        invoke("findings", "--db", db, "--partner", "acme", "--status", "open", "--format", "json").output
    )
    assert by_partner and {f["partner"] for f in by_partner} == {"acme"}


def test_fail_on_exit_code(tmp_path: Path, estate: str) -> None:
    assert scan_json(tmp_path, f"sqlite:///{tmp_path}/a.db", "--fail-on", "critical")[0] == 1
    assert scan_json(tmp_path, f"sqlite:///{tmp_path}/b.db", "--fail-on", "low")[0] == 1


def test_fail_on_passes_when_nothing_reaches_it(tmp_path: Path, moto: Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    moto.seeder().user("globex-fresh", 1)
    code, document = scan_json(tmp_path, f"sqlite:///{tmp_path}/a.db", "--fail-on", "medium")
    assert code == 0 and document["findings"] == []


def test_bad_registry_exits_2_and_stores_nothing(tmp_path: Path, estate: str) -> None:
    broken = tmp_path / "registry.yaml"
    broken.write_text(REGISTRY.read_text().replace("sponsor: bob@example.com", "sponsor: nobody@example.com"))
    result = CliRunner().invoke(app, ["scan", "--registry", str(broken), "--db", f"sqlite:///{tmp_path}/h.db"])
    assert result.exit_code == 2
    assert "registry.yaml:" in result.output and "partners[1].sponsor" in result.output
    assert not (tmp_path / "h.db").exists()


def test_bad_config_exits_2_naming_the_line(tmp_path: Path) -> None:
    config = tmp_path / "nhi.yaml"
    config.write_text("connectors:\n  aws:\n    accounts:\n      - {id: '12', role_arn: nope}\n")
    result = CliRunner().invoke(
        app, ["scan", "--config", str(config), "--registry", str(REGISTRY), "--db", "sqlite://"]
    )
    assert result.exit_code == 2
    assert "connectors.aws.accounts.0.id" in result.output


def test_failed_scan_exits_3(tmp_path: Path, estate: str, moto: Moto) -> None:
    moto.traffic.fail("GetAccountAuthorizationDetails", 403, "AccessDenied", times=5)
    code, document = scan_json(tmp_path, f"sqlite:///{tmp_path}/h.db")
    assert code == 3
    assert document["run"]["status"] == "failed"
    assert "AccessDenied" in document["run"]["scopes"][0]["error"]


def test_sweep_lists_partner_holdings_and_gates(tmp_path: Path, estate: str, moto: Moto) -> None:
    db = f"sqlite:///{tmp_path}/h.db"
    result = invoke(
        "sweep", "--partner", "acme", "--registry", str(REGISTRY), "--connector", "aws", "--format", "json", "--db", db
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["active"] == 1 and [h["name"] for h in report["holdings"]] == ["acme-sync"]
    assert any(
        "update-access-key" in step["command"] and "--status Inactive" in step["command"]
        for step in report["holdings"][0]["revocation"]
    )
    script = "\n".join(step["command"] for step in report["holdings"][0]["revocation"])
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0

    seeder = moto.seeder()
    for key in seeder.iam.list_access_keys(UserName="acme-sync")["AccessKeyMetadata"]:
        seeder.iam.update_access_key(UserName="acme-sync", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    cleared = invoke(
        "sweep", "--partner", "acme", "--registry", str(REGISTRY), "--connector", "aws", "--format", "json", "--db", db
    )
    assert cleared.exit_code == 0 and json.loads(cleared.output)["active"] == 0

    unknown = CliRunner().invoke(app, ["sweep", "--partner", "nobody", "--registry", str(REGISTRY), "--db", db])
    assert unknown.exit_code == 2


@pytest.mark.parametrize("fmt", ["csv", "ocsf", "table"])
def test_other_formats(tmp_path: Path, estate: str, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    result = invoke(
        "scan", "--registry", str(REGISTRY), "--format", fmt, "--output", str(out), "--db", f"sqlite:///{tmp_path}/h.db"
    )
    assert result.exit_code == 0
    text = out.read_text()
    assert "acme-sync" in text
    if fmt == "ocsf":
        events = [json.loads(line) for line in text.splitlines()]
        assert all(e["class_uid"] == 2004 and e["finding_info"]["uid"].startswith("nhi-") for e in events)
    if fmt == "csv":
        assert text.splitlines()[0].startswith("id,rule,severity,status")


def test_error_messages_keep_their_brackets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "partner_nhi.connectors.gcp", None)
    result = CliRunner().invoke(app, ["scan", "--connector", "gcp", "--registry", str(REGISTRY), "--db", "sqlite://"])
    assert result.exit_code == 2
    assert "pip install 'partner-nhi[gcp]'" in result.output
