"""AWS revocation steps: runnable as printed (bash -n), in order (what can be undone first), and
for a role the edited trust document that cuts external accounts off."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime

from helpers.aws_corpus import TRUST_WITHOUT_EXTERNAL_ID
from helpers.moto import Moto
from partner_nhi.connectors.aws import AwsConnector
from partner_nhi.connectors.aws.demo import seed
from partner_nhi.connectors.aws.normalize import role_identity
from partner_nhi.contract import RevocationStep

OWN = "123456789012"
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def parses(steps: list[RevocationStep]) -> bool:
    script = "\n".join(step.command for step in steps)
    return subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0


def partner_role(statements: list[dict[str, object]]) -> dict[str, object]:
    return {
        "RoleName": "vendor+ops@acme",  # IAM allows +=,.@- in names: quoted where the shell needs it
        "RoleId": "AROADBQP57FF2AEXAMPLE",
        "Arn": f"arn:aws:iam::{OWN}:role/vendor+ops@acme",
        "Path": "/",
        "CreateDate": NOW,
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        "AttachedManagedPolicies": [
            {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
        ],
        "RolePolicyList": [{"PolicyName": "s3-sync", "PolicyDocument": {"Statement": []}}],
        "InstanceProfileList": [{"InstanceProfileName": "vendor-ops"}],
    }


def test_a_role_loses_its_external_accounts_first_and_is_deleted_last() -> None:
    service = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    role = role_identity(partner_role([*TRUST_WITHOUT_EXTERNAL_ID["Statement"], service]), OWN, [], {}, NOW)
    steps = AwsConnector.revocation_steps(role)
    assert [s.argv[2] for s in steps] == [
        "update-assume-role-policy",
        "detach-role-policy",
        "remove-role-from-instance-profile",
        "delete-role-policy",
        "delete-role",
    ]
    edit = steps[0]
    assert edit.reversible and edit.revokes == "arn:aws:iam::111122223333:root" and edit.scope == OWN
    assert edit.command == (
        "aws iam update-assume-role-policy --role-name vendor+ops@acme --policy-document file://vendor+ops@acme-trust.json"
    )
    assert json.loads(edit.document or "") == {"Version": "2012-10-17", "Statement": [service]}
    assert not steps[-1].reversible and parses(steps)


def test_a_role_trusting_only_the_partner_can_only_be_deleted() -> None:
    role = role_identity(partner_role(TRUST_WITHOUT_EXTERNAL_ID["Statement"]), OWN, [], {}, NOW)
    steps = AwsConnector.revocation_steps(role)
    assert "update-assume-role-policy" not in [s.argv[2] for s in steps]  # IAM refuses a trust with no statement
    assert steps[-1].argv[2] == "delete-role"


def test_every_step_of_the_demo_estate_parses_and_undoable_steps_come_first(moto: Moto) -> None:
    seed(moto.endpoint)
    connector = AwsConnector(moto.settings())
    from helpers.builders import sample_registry
    from helpers.scan import scan

    run = scan({"aws": moto.settings()}, sample_registry(), None)
    assert run.status == "complete"
    kinds = set()
    for judged in run.identities:
        steps = connector.revocation_steps(judged.identity)
        kinds |= {s.argv[2] for s in steps}
        assert parses(steps), judged.identity.name
        reversible = [s.reversible for s in steps]
        assert reversible == sorted(reversible, reverse=True), judged.identity.name  # undoable steps first
    assert {
        "update-access-key",
        "delete-access-key",
        "update-ssh-public-key",
        "delete-ssh-public-key",
        "update-service-specific-credential",
        "delete-service-specific-credential",
        "delete-login-profile",
        "update-assume-role-policy",
        "remove-user-from-group",
        "detach-role-policy",
        "delete-role",
        "delete-user",
    } <= kinds
