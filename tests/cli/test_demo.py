"""`partner-nhi demo`: the whole product on the built-in AWS estate, no credentials."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from partner_nhi.cli import app

AWS_RULES = {
    "orphaned-identity",
    "stale-identity",
    "stale-credential",
    "unrotated-credential",
    "multiple-active-credentials",
}


def test_demo_shows_every_aws_rule_with_partner_and_owner(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    result = CliRunner().invoke(app, ["demo", "--connector", "aws", "--format", "json", "--output", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["run"]["status"] == "complete"
    findings = document["findings"]
    assert {f["rule"] for f in findings} >= AWS_RULES
    reasons = {f["reason"] for f in findings if f["rule"] == "orphaned-identity"}
    assert reasons == {"partner-offboarded", "owner-departed", "unregistered-external", "no-owner"}
    names = {f["identity_name"] for f in findings}
    assert "AWSServiceRoleForSupport" not in names
    acme = [f for f in findings if f["partner"] == "acme"]
    assert acme and all(f["owner"] == "alice@example.com" for f in acme)
    assert document["run"]["scopes"][0]["api_calls"] < 3 * len(document["identities"])
