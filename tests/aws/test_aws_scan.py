"""The AWS connector through boto3 against moto: inventory, units, API calls, multi-account."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import by_rule, scan
from partner_nhi.connector import CallCounter, UnitStatus
from partner_nhi.connectors.aws import AwsConnector
from partner_nhi.connectors.aws.demo import trust
from partner_nhi.connectors.aws.emulator import add_service_credential
from partner_nhi.coverage import RetryPolicy, UnitRecorder
from partner_nhi.records import CredentialKind


def collect(moto: Moto, **settings: object) -> tuple[list, UnitRecorder, CallCounter]:  # type: ignore[type-arg]
    connector = AwsConnector(moto.settings(**settings))
    recorder, calls = UnitRecorder(connector, RetryPolicy(2, 0.01, 0.02)), CallCounter()
    [scope] = [*connector.scopes(), *connector.discover()]
    return connector.collect(scope, recorder, calls), recorder, calls


def test_inventory_of_users_roles_and_every_credential_type(moto: Moto) -> None:
    seed = moto.seeder()
    seed.user("svc", 200, tags={"owner": "alice@example.com"})
    old = seed.key("svc", 150, used_days_ago=100)
    seed.key("svc", 10, active=False)
    with seed.at(120):
        seed.iam.upload_ssh_public_key(UserName="svc", SSHPublicKeyBody="ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 test")
    add_service_credential(
        "123456789012", "svc", "ACCAEXAMPLE1", "codecommit.amazonaws.com", datetime(2026, 1, 2, tzinfo=UTC)
    )
    seed.role(
        "partner-role", 300, trust({"AWS": "arn:aws:iam::111122223333:root"}), used_days_ago=4, policy="partner-admin"
    )
    seed.role("AWSServiceRoleForX", 300, trust({"Service": "x.amazonaws.com"}), path="/aws-service-role/x/")

    identities, recorder, calls = collect(moto)

    assert {o.resource_type: o.status for o in recorder.outcomes()} == dict.fromkeys(
        AwsConnector.resource_types, UnitStatus.COMPLETE
    )
    by_name = {i.name: i for i in identities}
    user = by_name["svc"]
    assert user.id == "arn:aws:iam::123456789012:user/svc" and user.kind == "aws-user"
    assert user.tags == {"owner": "alice@example.com"}
    kinds = sorted((c.kind, c.active) for c in user.credentials)
    assert kinds == sorted(
        [
            (CredentialKind.ACCESS_KEY, True),
            (CredentialKind.ACCESS_KEY, False),
            (CredentialKind.SSH_KEY, True),
            (CredentialKind.SERVICE_CREDENTIAL, True),
        ]
    )
    key = next(c for c in user.credentials if c.id == old)
    assert key.last_used.state == "used" and key.last_used.at is not None
    assert (datetime.now(UTC) - key.last_used.at).days == 100
    assert (datetime.now(UTC) - key.created).days == 150  # type: ignore[operator]
    assert user.last_used.state == "unknown"  # the SSH key's use is not recorded by AWS

    role = by_name["partner-role"]
    assert role.privileged and "partner-admin" in role.permissions
    assert [(a.kind, a.value, a.external) for a in role.affiliations] == [("aws-account", "111122223333", True)]
    assert role.last_used.state == "used"
    assert by_name["AWSServiceRoleForX"].provider_managed

    # bulk first: one authorization-details call, the report, three listings per user, no per-key call
    assert calls.by_operation["iam:GetAccountAuthorizationDetails"] == 1
    assert calls.by_operation["iam:ListAccessKeys"] == 1
    assert "iam:GetAccessKeyLastUsed" not in calls.by_operation
    assert calls.total <= 8


def test_user_with_password_only(moto: Moto) -> None:
    seed = moto.seeder()
    seed.user("portal", 100)
    seed.iam.create_login_profile(UserName="portal", Password="Not-a-real-secret-9!")
    [user], _, _ = collect(moto)
    [password] = user.credentials
    assert password.kind is CredentialKind.CONSOLE_PASSWORD and password.last_used.state == "never"
    assert user.enabled and user.last_used.state == "never"


def test_user_without_active_credentials_cannot_act(moto: Moto) -> None:
    seed = moto.seeder()
    seed.user("retired", 300)
    seed.key("retired", 290, active=False)
    [user], _, _ = collect(moto)
    assert not user.enabled


def test_multi_account_through_assume_role(moto: Moto) -> None:
    moto.seeder().user("home-user", 10)
    moto.seeder("210987654321").user("acme-remote", 400)
    moto.seeder("210987654321").key("acme-remote", 300)
    settings = moto.settings(
        accounts=[
            {"id": "123456789012"},
            {"id": "210987654321", "role_arn": "arn:aws:iam::210987654321:role/partner-nhi"},
        ]
    )
    run = scan({"aws": settings}, sample_registry(), None)
    assert run.status == "complete"
    assert {(i.identity.scope, i.identity.name) for i in run.identities} == {
        ("123456789012", "home-user"),
        ("210987654321", "acme-remote"),
    }
    assert "AssumeRole" in moto.actions
    remote = by_rule(run, "orphaned-identity")["acme-remote"]
    assert remote.reason == "partner-offboarded" and remote.partner == "acme"


def test_no_accounts_configured_scans_the_callers_account(moto: Moto) -> None:
    connector = AwsConnector(moto.settings())
    assert connector.scopes() == []  # nothing configured
    assert [s.id for s in connector.discover()] == ["123456789012"]


def test_organization_discovery(moto: Moto) -> None:
    import boto3

    orgs = boto3.client("organizations", endpoint_url=moto.endpoint, region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    orgs.create_account(AccountName="acme-sandbox", Email="sandbox@example.com")
    connector = AwsConnector(moto.settings(organization={"enabled": True, "role_name": "auditor"}))
    scopes = connector.discover()
    assert len(scopes) == 2
    assert all(s.settings["role_arn"] == f"arn:aws:iam::{s.id}:role/auditor" for s in scopes)
