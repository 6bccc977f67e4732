"""`partner-nhi demo --only scan`: the whole product's scan on the built-in estate, no credentials,
the same ids on every run (the story itself: test_demo_story.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers.cli import run_cli
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
    result = CliRunner().invoke(
        app, ["demo", "--only", "scan", "--connector", "aws", "--format", "json", "--output", str(out)]
    )
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


def test_the_simulated_estate_is_the_same_on_each_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every id the estates generate (moto's keys, Entra's object and key ids, GCP's key ids) is
    the same on each run: a store that keeps two runs sees the same findings, open, none new."""
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    documents = []
    for number in (1, 2):
        out = tmp_path / f"run{number}.json"
        outcome = run_cli(monkeypatch, "demo", "--only", "scan", "--db", db, "--format", "json", "--output", str(out))
        assert outcome.code == 0, outcome.stderr
        documents.append(json.loads(out.read_text()))
    first, second = documents
    assert {s["connector"] for s in second["run"]["scopes"]} == {"aws", "azure", "gcp", "m365"}
    assert {f["status"] for f in first["findings"]} == {"new"} and {f["status"] for f in second["findings"]} == {"open"}
    assert sorted(f["id"] for f in first["findings"]) == sorted(f["id"] for f in second["findings"])
    assert generated_ids(first) == generated_ids(second)


def generated_ids(document: dict[str, Any]) -> set[str]:
    return {i["id"] for i in document["identities"]} | {
        c["id"] for i in document["identities"] for c in i["credentials"]
    }


def test_only_scan_prints_the_report_and_tells_no_story(monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = run_cli(monkeypatch, "demo", "--only", "scan", "--connector", "gcp")  # piped: JSON on stdout
    assert outcome.code == 0, outcome.stderr
    document = json.loads(outcome.stdout)
    assert document["run"]["status"] == "complete" and {f["status"] for f in document["findings"]} == {"new"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--format", "json"], "--format and --output report the scan alone: add --only scan"),
        (["--output", "demo.json"], "--format and --output report the scan alone: add --only scan"),
        (["--only", "scan", "--evidence-dir", "evidence"], "--evidence-dir is where the story writes its evidence"),
    ],
)
def test_options_of_the_story_and_of_the_scan_alone_do_not_mix(
    arguments: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = run_cli(monkeypatch, "demo", *arguments)
    assert outcome.code == 2 and message in outcome.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_an_evidence_folder_that_cannot_be_made_is_refused_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = tmp_path / "report.html"
    taken.write_text("a file, not a folder")
    outcome = run_cli(monkeypatch, "demo", "--evidence-dir", str(taken / "evidence"))
    assert outcome.code == 2 and f"--evidence-dir: cannot create {taken / 'evidence'}" in outcome.stderr
    assert "starting the simulated" not in outcome.stderr
