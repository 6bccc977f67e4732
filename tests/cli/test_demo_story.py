"""`partner-nhi demo` tells the offboarding story end to end, through the command line: scan,
sweep acme (exit 1, the commands per cloud), revocation in the simulated estate, scan again
(acme's findings resolved), sweep again (exit 0), the evidence written. What it prints is then
checked against the stored history, read back with the product's own read-only commands."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers.chromium import render_page
from helpers.cli import Outcome, run_cli
from helpers.history import DEMO_REGISTRY
from partner_nhi.connectors.aws import AwsConnector

STEP = re.compile(r"^(\d)/6  .*$", re.MULTILINE)


@dataclass(frozen=True)
class Told:
    outcome: Outcome
    db: str
    evidence: Path

    def steps(self) -> dict[int, str]:
        """What the story printed under each numbered step."""
        text = self.outcome.stdout
        starts = list(STEP.finditer(text))
        ends = [m.start() for m in starts[1:]] + [len(text)]
        return {int(m.group(1)): text[m.start() : end] for m, end in zip(starts, ends, strict=True)}

    def read(self, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
        outcome = run_cli(monkeypatch, *args, "--db", self.db, "--format", "json")
        assert outcome.code == 0, outcome.stderr
        return json.loads(outcome.stdout)


@pytest.fixture(scope="module")
def told(tmp_path_factory: pytest.TempPathFactory) -> Told:
    folder = tmp_path_factory.mktemp("story")
    db = f"sqlite:///{folder / 'demo.db'}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        outcome = run_cli(monkeypatch, "demo", "--db", db, "--evidence-dir", str(folder / "evidence"))
    return Told(outcome, db, folder / "evidence")


def test_every_step_is_told_with_its_exit_code(told: Told) -> None:
    assert told.outcome.code == 0, told.outcome.stdout + told.outcome.stderr
    steps = told.steps()
    assert sorted(steps) == [1, 2, 3, 4, 5, 6]
    assert "complete, 43 identities, 67 findings\n  acme's findings: 19 new; everyone else's: 48 new\n" in steps[1]
    assert "exit 1: the gate stays closed. acme still holds 8 active of 8 identities; 18 commands" in steps[2]
    for cloud in ("aws: 2 identities, 5 commands", "azure: 2 identities, 5 commands", "gcp: 3 identities, 5 commands"):
        assert cloud in steps[2]
    for command in (  # one per cloud, whole on its line: runnable as printed
        "aws iam delete-user --user-name acme-sync",
        "gcloud iam service-accounts disable acme-deployer@corp-prod.iam.gserviceaccount.com --project corp-prod",
        "az identity delete --ids /subscriptions/3c9e4b1d-5555-4a2f-9d0e-00000000c0de/resourcegroups/rg-identities/"
        "providers/Microsoft.ManagedIdentity/userAssignedIdentities/acme-deploy-identity",
        "az rest --method DELETE --url https://graph.microsoft.com/v1.0/oauth2PermissionGrants/",
    ):
        assert f"\n   {command}" in steps[2]
    assert "m365: 3 commands carried out for 1 identity" in steps[3]
    after = (
        "complete, 39 identities (43 before), 67 findings\n  acme's findings: 19 resolved; everyone else's: 48 open\n"
    )
    assert after in steps[4]
    assert "exit 0: the gate opens. Nothing acme holds is active any more (4 identities left, all disabled)" in steps[5]
    assert "The story ran as told" in steps[6]


def test_the_history_shows_acme_revoked_and_the_gate_open(told: Told, monkeypatch: pytest.MonkeyPatch) -> None:
    after, before = told.read(monkeypatch, "runs")
    assert (before["status"], after["status"]) == ("complete", "complete")
    found_before = told.read(monkeypatch, "findings", "--partner", "acme", "--run", before["id"])
    found_after = told.read(monkeypatch, "findings", "--partner", "acme", "--run", after["id"])
    assert {f["status"] for f in found_before} == {"new"} and {f["status"] for f in found_after} == {"resolved"}
    assert {f["id"] for f in found_before} == {f["id"] for f in found_after} and len(found_after) == 19
    held = told.read(monkeypatch, "identities", "--partner", "acme", "--run", after["id"])
    assert sorted((i["provider"], i["name"], i["enabled"]) for i in held) == [
        ("azure", "acme-sync", False),  # its service principal disabled, its secrets deleted
        ("gcp", "acme-deployer", False),
        ("gcp", "partners/acme-aws", False),
        ("m365", "Acme Connector", False),
    ]  # the AWS user and role, the managed identity and the external member's binding are gone
    sweep = run_cli(
        monkeypatch,
        "sweep",
        "--partner",
        "acme",
        "--from-store",
        "--db",
        told.db,
        "-r",
        str(DEMO_REGISTRY),
        "-f",
        "json",
    )
    assert sweep.code == 0, sweep.stdout + sweep.stderr
    assert json.loads(sweep.stdout)["active"] == 0


def test_the_evidence_is_written_where_it_says(told: Told) -> None:
    printed = dict(
        re.findall(r"^  (audit report|sweep before revocation|sweep after revocation): (.+)$", told.steps()[6], re.M)
    )
    assert printed == {
        "audit report": str(told.evidence / "audit-report.html"),
        "sweep before revocation": str(told.evidence / "acme-sweep-before.html"),
        "sweep after revocation": str(told.evidence / "acme-sweep-after.html"),
    }
    page = render_page(Path(printed["audit report"]))
    assert page.console_errors == [] and page.requests == [Path(printed["audit report"]).resolve().as_uri()]
    acme = page.text[page.text.index("acme: Acme Integrations Ltd") : page.text.index("globex: Globex Managed")]
    assert "Status offboarded, offboarded on 2026-06-30; sponsor alice@example.com; 4 identities (0 enabled); " in acme
    assert "0 current findings" in acme and "Acme Connector" in acme
    before = Path(printed["sweep before revocation"]).read_text(encoding="utf-8")
    after = Path(printed["sweep after revocation"]).read_text(encoding="utf-8")
    assert (
        "8 active</span> of 8 holdings still work" in before and "aws iam delete-user --user-name acme-sync" in before
    )
    assert "nothing active</span> 4 holdings listed, none enabled" in after


def test_a_revocation_not_carried_out_breaks_the_story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The story checks what each step did: an estate left as it was stops it at the rescan."""
    monkeypatch.setattr(AwsConnector, "demo_revoke", classmethod(lambda cls, settings, steps: None))
    outcome = run_cli(monkeypatch, "demo", "--connector", "aws", "--evidence-dir", str(tmp_path))
    assert outcome.code == 3
    assert "step 4: every finding of acme should be resolved: 4 open" in outcome.stderr
    assert "6/6" not in outcome.stdout and list(tmp_path.iterdir()) == []
