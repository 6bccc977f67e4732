"""Read-only and secret-free, proven from the server's side and from every output."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import scan
from partner_nhi.connector import CallCounter
from partner_nhi.connectors.aws import AwsConnector
from partner_nhi.connectors.aws.clients import ClientFactory, MutatingCallRefused, is_read_only
from partner_nhi.connectors.aws.demo import seed
from partner_nhi.outputs.render import write_report
from partner_nhi.store import Store

ALLOWED = {
    "GetCallerIdentity",
    "AssumeRole",
    "GetAccountAuthorizationDetails",
    "GenerateCredentialReport",
    "GetCredentialReport",
    "ListAccessKeys",
    "GetAccessKeyLastUsed",
    "ListSSHPublicKeys",
    "ListServiceSpecificCredentials",
    "ListSigningCertificates",
}


@pytest.fixture
def demo_estate(moto: Moto) -> list[str]:
    """The demo's whole estate in moto; returns the secrets moto handed out while seeding."""
    seeder = seed(moto.endpoint, datetime.now(UTC))
    moto.traffic.actions.clear()
    return [*seeder.secrets, "Demo-only-not-a-secret-1!"]


def test_scan_sends_only_read_calls(moto: Moto, demo_estate: list[str]) -> None:
    run = scan({"aws": moto.settings()}, sample_registry(), None)
    assert run.status == "complete" and run.findings
    seen = set(moto.actions)
    assert seen <= ALLOWED, seen - ALLOWED
    assert "GetAccountAuthorizationDetails" in seen  # the check saw the scan


def test_shipped_policy_allows_exactly_what_the_scan_calls() -> None:
    policy = json.loads((Path(__file__).parents[2] / "config" / "aws-readonly-policy.json").read_text())
    actions = {a.split(":", 1)[1] for s in policy["Statement"] for a in s["Action"]}
    assert actions - {"ListAccounts"} == ALLOWED - {"AssumeRole"}
    assert all(is_read_only(action) for action in actions)


def test_client_factory_refuses_a_mutating_call_before_it_is_sent(moto: Moto) -> None:
    iam = ClientFactory(AwsConnector(moto.settings()).settings, CallCounter()).client("iam")
    with pytest.raises(MutatingCallRefused, match="DeleteUser"):
        iam.delete_user(UserName="anyone")
    with pytest.raises(MutatingCallRefused, match="UpdateAccessKey"):
        iam.update_access_key(UserName="a", AccessKeyId="AKIAEXAMPLE000000001", Status="Inactive")
    assert "DeleteUser" not in moto.actions and "UpdateAccessKey" not in moto.actions


def test_no_secret_in_store_outputs_or_logs(
    moto: Moto,
    demo_estate: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from partner_nhi import logs

    logs.configure(verbosity=2, json_logs=True)
    caplog.set_level(logging.DEBUG)
    database = tmp_path / "store.db"
    store = Store(f"sqlite:///{database}")
    run = scan({"aws": moto.settings()}, sample_registry(), store)
    rendered = io.StringIO()
    for fmt in ("json", "csv", "ocsf", "table"):
        write_report(store.document(run.id), fmt, rendered)
    outputs = rendered.getvalue()
    captured = capsys.readouterr()
    with sqlite3.connect(database) as connection:
        dump = "\n".join(connection.iterdump())
    assert "AKIA" in dump and "AKIA" in outputs  # key ids are there: the haystack is real
    for secret in demo_estate:
        assert secret not in dump
        assert secret not in outputs
        assert secret not in captured.out + captured.err + caplog.text


def test_shipped_policy_is_exactly_what_scans_send(moto: Moto, demo_estate: list[str]) -> None:
    """Every action the connector sends, seen at moto's door across the scans that reach each
    code path, is in the policy, and the policy holds nothing else (AssumeRole is granted to the
    scanning principal on the roles it assumes, not by this policy)."""
    import boto3

    organizations = boto3.client("organizations", endpoint_url=moto.endpoint, region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    moto.traffic.actions.clear()
    scan({"aws": moto.settings(organization={"enabled": True})}, sample_registry(), None)  # discovery, AssumeRole
    scan({"aws": moto.settings()}, sample_registry(), None)  # the caller's own account
    moto.traffic.fail("GenerateCredentialReport", 403, "AccessDenied", times=5)  # no report: ask per user and key
    scan({"aws": moto.settings()}, sample_registry(), None)
    policy = json.loads((Path(__file__).parents[2] / "config" / "aws-readonly-policy.json").read_text())
    granted = {a.split(":", 1)[1] for s in policy["Statement"] for a in s["Action"]}
    assert set(moto.actions) - {"AssumeRole"} == granted
