"""Revocation steps for the offboarding sweep (issue 14, item 2, GCP): typed steps whose
shell-quoted commands parse (``bash -n``) and split back into their exact argv; keys are
disabled before anything is deleted; an outside member's bindings are removed exactly as
they stand, on the project, folder or organisation that holds them."""

from __future__ import annotations

import json
import shlex
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from helpers.cli import run_cli
from partner_nhi.connectors.gcp import GcpConnector
from partner_nhi.connectors.gcp.emulator import running
from partner_nhi.connectors.gcp.emulator.demo import demo_estate
from partner_nhi.records import Credential, CredentialKind, Identity, LastUse
from partner_nhi.revocation import RevocationStep

SA = "acme-deployer@corp-prod.iam.gserviceaccount.com"
PARTNER = "user:ops-lead@globex.example"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _parses(steps: list[RevocationStep]) -> None:
    script = "\n".join(step.command for step in steps)
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0
    assert all(tuple(shlex.split(step.command)) == step.argv for step in steps)


def _key(key_id: str, active: bool) -> Credential:
    return Credential(
        id=key_id,
        kind=CredentialKind.SERVICE_ACCOUNT_KEY,
        active=active,
        created=NOW - timedelta(days=400),
        last_used=LastUse.never(),
        source="service-account-keys",
    )


def test_a_service_account_keys_disabled_then_the_account_then_keys_deleted() -> None:
    account = Identity(
        id=SA,
        provider="gcp",
        kind="gcp-service-account",
        scope="corp-prod",
        name="acme-deployer",
        source="service-accounts",
        credentials=(_key("90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c", True), _key("aa11bb22", False)),
    )
    steps = GcpConnector.revocation_steps(account)
    on = ("--iam-account", SA, "--project", "corp-prod")
    assert [(s.action, s.argv, s.reversible) for s in steps] == [
        (
            "disable key",
            ("gcloud", "iam", "service-accounts", "keys", "disable", "90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c", *on),
            True,
        ),
        (
            "disable service account",
            ("gcloud", "iam", "service-accounts", "disable", SA, "--project", "corp-prod"),
            True,
        ),
        (
            "delete key",
            ("gcloud", "iam", "service-accounts", "keys", "delete", "90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c", *on),
            False,
        ),
        ("delete key", ("gcloud", "iam", "service-accounts", "keys", "delete", "aa11bb22", *on), False),
    ]
    assert {(s.provider, s.scope) for s in steps} == {("gcp", "corp-prod")}
    _parses(steps)


def test_an_outside_members_bindings_are_removed_where_they_stand() -> None:
    bindings = [
        {"role": "roles/editor", "resource": "projects/corp-prod"},
        {  # the condition of gcloud's own remove-iam-policy-binding example
            "role": "roles/browser",
            "resource": "folders/123456789012",
            "condition": {
                "expression": 'request.time < timestamp("2019-01-01T00:00:00Z")',
                "title": "expires_end_of_2018",
                "description": "Expires at midnight on 2018-12-31",
            },
        },
        {  # a tag condition (Google's "tags and conditional access"): its expression holds a comma
            "role": "roles/viewer",
            "resource": "organizations/987654321",
            "condition": {"expression": "resource.matchTag('123456789012/env', 'prod')", "title": "prod only"},
        },
    ]
    member = Identity(
        id=PARTNER,
        provider="gcp",
        kind="gcp-external-member",
        scope="corp-prod",
        name="ops-lead@globex.example",
        source="iam-policy",
        details={"bindings": bindings},
    )
    steps = GcpConnector.revocation_steps(member)
    assert [s.argv for s in steps] == [
        (
            "gcloud",
            "projects",
            "remove-iam-policy-binding",
            "corp-prod",
            f"--member={PARTNER}",
            "--role=roles/editor",
            "--condition=None",
        ),
        (
            "gcloud",
            "resource-manager",
            "folders",
            "remove-iam-policy-binding",
            "123456789012",
            f"--member={PARTNER}",
            "--role=roles/browser",
            '--condition=expression=request.time < timestamp("2019-01-01T00:00:00Z"),'
            "title=expires_end_of_2018,description=Expires at midnight on 2018-12-31",
        ),
        (
            "gcloud",
            "organizations",
            "remove-iam-policy-binding",
            "987654321",
            f"--member={PARTNER}",
            "--role=roles/viewer",
            "--condition=^|^expression=resource.matchTag('123456789012/env', 'prod')|title=prod only",
        ),
    ]
    assert [s.scope for s in steps] == ["corp-prod", "folders/123456789012", "organizations/987654321"]
    assert all(s.reversible for s in steps)
    assert steps[0].revokes == f"{PARTNER} roles/editor on projects/corp-prod"
    _parses(steps)


def test_the_sweep_of_a_partner_lists_runnable_steps(
    tmp_path: Path, demo_registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running(demo_estate()) as emulators:
        config = tmp_path / "config.yaml"
        gcp = emulators.settings(organization_domains=["corp.example"])
        config.write_text(yaml.safe_dump({"registry": str(demo_registry), "connectors": {"gcp": gcp}}))
        db = f"sqlite:///{tmp_path}/s.db"
        result = run_cli(monkeypatch, "sweep", "--partner", "acme", "-c", str(config), "-f", "json", "--db", db)
    assert result.code == 1  # acme still holds active identities: the gate stays shut
    report = json.loads(result.stdout)
    steps = {h["id"]: [s["command"] for s in h["revocation"]] for h in report["holdings"]}
    assert steps[SA][0].startswith("gcloud iam service-accounts keys disable ")
    pipeline = "serviceAccount:acme-pipeline@acme-tools-prod.iam.gserviceaccount.com"
    assert steps[pipeline] == [
        f"gcloud projects remove-iam-policy-binding corp-prod --member={pipeline} "
        "--role=roles/iam.serviceAccountTokenCreator --condition=None"
    ]
    [provider] = [h for h in report["holdings"] if h["kind"] == "gcp-workload-identity-provider"]
    assert steps[provider["id"]] == [
        "gcloud iam workload-identity-pools providers update-aws acme-aws --workload-identity-pool=partners "
        "--location=global --project=corp-prod --disabled"
    ]
    every = [RevocationStep.model_validate(s) for h in report["holdings"] for s in h["revocation"]]
    assert every
    _parses(every)
