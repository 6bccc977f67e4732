"""The demo's AWS estate: Example Corp's account 123456789012 with partner NHIs
of every kind the rules look for, backdated through moto's own clock and state."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from partner_nhi.connectors.aws.emulator import add_service_credential, moto_server, reset_estate

ACCOUNT = "123456789012"
ACME, GLOBEX, INITECH, UNKNOWN = "111122223333", "444455556666", "777788889999", "999900001111"


def trust(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


class Seeder:
    """Creates IAM objects as of a chosen date (moto dates them from its clock)."""

    def __init__(self, endpoint: str, now: datetime, account: str = ACCOUNT) -> None:
        credentials = {"aws_access_key_id": "demo", "aws_secret_access_key": "demo"}
        if account != ACCOUNT:  # moto keeps each account apart by the caller's credentials
            sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", **credentials)
            assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/seed", RoleSessionName="seed")
            credentials = {
                "aws_access_key_id": assumed["Credentials"]["AccessKeyId"],
                "aws_secret_access_key": assumed["Credentials"]["SecretAccessKey"],
                "aws_session_token": assumed["Credentials"]["SessionToken"],
            }
        self.iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **credentials)
        self.account = account
        self.now = now
        self.secrets: list[str] = []  # secret access keys moto handed out: tests prove none leaks
        self._policies: set[str] = set()

    def at(self, days_ago: int) -> Any:
        from freezegun import freeze_time

        return freeze_time(self.now - timedelta(days=days_ago))

    def user(self, name: str, days_ago: int, tags: dict[str, str] | None = None) -> None:
        with self.at(days_ago):
            self.iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])

    def key(self, user: str, days_ago: int, used_days_ago: int | None = None, active: bool = True) -> str:
        with self.at(days_ago):
            created = self.iam.create_access_key(UserName=user)["AccessKey"]
        key_id: str = created["AccessKeyId"]
        self.secrets.append(created["SecretAccessKey"])
        if not active:
            self.iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
        if used_days_ago is not None:
            from moto.iam.models import AccessKeyLastUsed, iam_backends

            backend = iam_backends[self.account]["global"]
            backend.access_keys[key_id].last_used = AccessKeyLastUsed(
                self.now - timedelta(days=used_days_ago), service="s3", region="us-east-1"
            )
        return key_id

    def policy(self, name: str) -> str:
        """A customer-managed policy: ``*-admin`` grants everything, others read S3."""
        arn = f"arn:aws:iam::{self.account}:policy/{name}"
        if name not in self._policies:
            action = "*" if name.endswith("-admin") else "s3:Get*"
            document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
            self.iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))
            self._policies.add(name)
        return arn

    def role(
        self,
        name: str,
        days_ago: int,
        trust: str,
        used_days_ago: int | None = None,
        path: str = "/",
        tags: dict[str, str] | None = None,
        policy: str | None = None,
    ) -> None:
        with self.at(days_ago):
            self.iam.create_role(
                RoleName=name,
                Path=path,
                AssumeRolePolicyDocument=trust,
                Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
            )
        if policy:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=self.policy(policy))
        if used_days_ago is not None:
            from moto.iam.models import iam_backends

            role = iam_backends[self.account]["global"].get_role(name)
            role.last_used = self.now - timedelta(days=used_days_ago)
            role.last_used_region = "eu-west-1"  # type: ignore[assignment]


def seed(endpoint: str, now: datetime | None = None) -> Seeder:
    """Example Corp's IAM: what three partners left behind, and a few healthy NHIs."""
    from moto.iam.models import iam_backends

    s = Seeder(endpoint, now or datetime.now(UTC))
    # acme: offboarded on 2026-06-30, yet its sync user and admin role still work
    s.user("acme-sync", 420)
    s.key("acme-sync", 400, used_days_ago=10)
    s.role("acme-crossaccount", 500, trust({"AWS": f"arn:aws:iam::{ACME}:root"}), used_days_ago=5, policy="acme-admin")
    # globex (active): backup user mid-rotation, a read-only role with an external id
    s.user("globex-backup", 300, tags={"partner": "globex", "owner": "bob@example.com"})
    s.key("globex-backup", 200, used_days_ago=150)
    s.key("globex-backup", 20, used_days_ago=1)
    s.role(
        "globex-readonly",
        250,
        trust({"AWS": f"arn:aws:iam::{GLOBEX}:root"}, {"StringEquals": {"sts:ExternalId": "globex-7f3a"}}),
        used_days_ago=2,
        policy="globex-read",
    )
    s.user("ci-deployer", 100)  # registry assignment: globex, dan
    s.key("ci-deployer", 30, used_days_ago=1)
    s.user("codecommit-mirror", 60, tags={"partner": "globex", "owner": "dan@example.com"})
    add_service_credential(
        ACCOUNT,
        "codecommit-mirror",
        "ACCA" + "DEMO0000000000001",
        "codecommit.amazonaws.com",
        s.now - timedelta(days=45),
    )
    # initech (offboarding; its sponsor Carol has left): an ETL key never used
    s.user("etl-loader", 130)
    s.key("etl-loader", 120)
    # no partner, no owner: a forgotten reporting user and a role for an unknown account
    s.user("legacy-reporting", 520)
    s.key("legacy-reporting", 500, active=False)
    s.key("legacy-reporting", 100)
    s.role("unknown-vendor-access", 200, trust({"AWS": f"arn:aws:iam::{UNKNOWN}:root"}))
    # a vendor portal user a human signs in to, owned by Carol, who has departed
    s.user("vendor-portal", 400, tags={"owner": "carol@example.com"})
    with s.at(390):
        s.iam.create_login_profile(UserName="vendor-portal", Password="Demo-only-not-a-secret-1!")  # noqa: S106
    portal = iam_backends[ACCOUNT]["global"].users["vendor-portal"]
    portal.password_last_used = s.now - timedelta(days=200)  # type: ignore[assignment]
    with s.at(380):
        s.iam.upload_ssh_public_key(UserName="vendor-portal", SSHPublicKeyBody=_DEMO_SSH_KEY)
    # healthy NHIs with owners
    s.user("monitoring-agent", 60, tags={"owner": "alice@example.com"})
    s.key("monitoring-agent", 10, used_days_ago=0)
    s.role(
        "lambda-exec",
        90,
        trust({"Service": "lambda.amazonaws.com"}),
        used_days_ago=1,
        tags={"owner": "alice@example.com"},
    )
    s.role(
        "github-actions-deploy",
        80,
        trust({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}),
        used_days_ago=3,
        tags={"owner": "dan@example.com", "partner": "globex"},
    )
    # trusts that leave a door open
    github = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    pinned_sub = {"token.actions.githubusercontent.com:sub": "repo:globex-ms/platform:ref:refs/heads/main"}
    s.role(  # globex by the subject its trust admits (registry oidc_subjects): pinned, no finding
        "platform-release",
        40,
        trust({"Federated": github}, {"StringLike": pinned_sub}),
        used_days_ago=2,
        tags={"owner": "dan@example.com"},
    )
    s.role(  # initech's support account may assume it without an external id, besides EC2
        "initech-support",
        150,
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{INITECH}:root"},
                        "Action": "sts:AssumeRole",
                    },
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
                ],
            }
        ),
        used_days_ago=20,
        tags={"owner": "bob@example.com"},
    )
    s.role(  # any AWS principal anywhere may assume it
        "shared-audit-reader",
        60,
        trust({"AWS": "*"}),
        used_days_ago=6,
        tags={"owner": "alice@example.com"},
    )
    s.role(  # the role it trusted was deleted: IAM now shows its unique id
        "legacy-bridge",
        600,
        trust({"AWS": "AROAKSCDLFT9R5DQP782U"}),
        used_days_ago=30,
        tags={"owner": "alice@example.com"},
    )
    # a globex operator signs in to the console with the user its automation uses
    s.user("globex-ops", 90, tags={"partner": "globex", "owner": "bob@example.com"})
    s.key("globex-ops", 60, used_days_ago=0)
    with s.at(80):
        s.iam.create_login_profile(UserName="globex-ops", Password="Demo-only-not-a-secret-2!")  # noqa: S106
    iam_backends[ACCOUNT]["global"].users["globex-ops"].password_last_used = s.now - timedelta(days=4)  # type: ignore[assignment]
    add_service_credential(  # a Bedrock API key that expires in two weeks
        ACCOUNT,
        "globex-ops",
        "ACCA" + "DEMO0000000000002",
        "bedrock.amazonaws.com",
        s.now - timedelta(days=76),
        expires=s.now + timedelta(days=14),
        alias="globex-ops+1-at-123456789012",
    )
    # the deployer is admin through its group, not by its own policies
    s.iam.create_group(GroupName="deployers")
    s.iam.attach_group_policy(GroupName="deployers", PolicyArn=s.policy("deployers-admin"))
    s.iam.add_user_to_group(GroupName="deployers", UserName="ci-deployer")
    # AWS's own: a service-linked role is never a partner NHI
    s.role(
        "AWSServiceRoleForSupport",
        700,
        trust({"Service": "support.amazonaws.com"}),
        path="/aws-service-role/support.amazonaws.com/",
    )
    return s


# A throwaway public key (public keys are not secrets): only its id is ever read back.
_DEMO_SSH_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDEcQNaSW8HnKLbKc2u4U+p6A+Hr6s3Yy8Z9I2WZ1xqkS0oxj5P"
    "k0yQyBzGzOtrvKnBUm6dUkCCW5OdGhc2hHFxBq6oYj6XJ0Y2i4b0V4dZFO0kKrfNw6X1dM2Q3Rx5zWw7hJbL9eT"
    "wYvU3y2rF8sKqvT4gN1pQ5mD0xZ7aC3bE9fH1jK2lM4nO6pQ8rS0tU2vW4xY6zA8bC0dE2fG4hI6jK8lM0nO== demo"
)


@contextmanager
def demo_estate() -> Iterator[dict[str, Any]]:
    """Start moto, seed Example Corp, yield the ``connectors.aws`` settings for it."""
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    os.environ.update({"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo"})
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        with moto_server() as endpoint:
            reset_estate(endpoint)
            seed(endpoint)
            yield {"endpoint_url": endpoint, "credential_report_poll": 0.1, "internal_account_ids": []}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
