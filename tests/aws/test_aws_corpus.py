"""Every AWS transform over the corpus of real-shaped samples (tests/helpers/aws_corpus.py),
independent of moto: each record is read without error, keeps its ids and dates (aware, UTC),
and keeps no secret or key material."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest

from helpers import aws_corpus as corpus
from partner_nhi.connectors.aws import AwsConnector
from partner_nhi.connectors.aws.credential_report import parse_credential_report, report_row, row_label
from partner_nhi.connectors.aws.credentials import (
    access_key,
    key_last_use,
    service_specific_credential,
    signing_certificate,
    ssh_public_key,
)
from partner_nhi.connectors.aws.normalize import (
    group_grant,
    local_policy,
    principal_label,
    role_identity,
    user_grant,
    user_identity,
)
from partner_nhi.connectors.aws.organization import account_scope
from partner_nhi.connectors.aws.trust import trusted_parties
from partner_nhi.connectors.aws.users import UserCredentials, report_key_uses
from partner_nhi.contract import Credential, Identity

NOW = datetime(2026, 11, 23, tzinfo=UTC)
DETAILS = corpus.AUTHORIZATION_DETAILS
ACCOUNTS = [*corpus.LIST_ACCOUNTS_STATUS_ONLY, *corpus.LIST_ACCOUNTS_STATE_ONLY, *corpus.LIST_ACCOUNTS_GOVCLOUD]
TRUSTS = {name: value for name, value in vars(corpus).items() if name.startswith("TRUST_") and isinstance(value, dict)}
SERVICE_CREDENTIALS = [r for page in corpus.SERVICE_CREDENTIAL_PAGES for r in page["ServiceSpecificCredentials"]]


def aware(value: datetime | None) -> bool:
    return value is None or value.utcoffset() is not None


@pytest.mark.parametrize("account", ACCOUNTS, ids=[a["Id"] for a in ACCOUNTS])
def test_organizations_accounts(account: dict[str, Any]) -> None:
    scope = account_scope(account, "aws", "auditor", "aws")
    if (account.get("State") or account.get("Status")) == "ACTIVE":
        assert scope is not None and scope.id == account["Id"]
        assert scope.settings["role_arn"].endswith(f":iam::{account['Id']}:role/auditor")
    else:
        assert scope is None


@pytest.mark.parametrize("name", sorted(TRUSTS))
def test_trust_policies(name: str) -> None:
    parties = trusted_parties(TRUSTS[name], "123456789012", [])
    assert parties and all(p.value for p in parties)


def identities() -> list[Identity]:
    policies = dict(local_policy(p) for p in DETAILS["Policies"])
    groups = dict(group_grant(g, policies) for g in DETAILS["GroupDetailList"])
    roles = [role_identity(r, "123456789012", [], policies, NOW) for r in [*DETAILS["RoleDetailList"], corpus.GET_ROLE]]
    rows = {r["arn"]: report_row(r) for r in parse_credential_report(corpus.CREDENTIAL_REPORT_CSV, None).rows}
    keys = [access_key(k) for k in corpus.LIST_ACCESS_KEYS]
    users = [
        user_identity(
            u,
            "123456789012",
            UserCredentials(credentials=keys if u["UserName"] == "Alice" else []),
            rows.get(u["Arn"]),
            user_grant(u, policies, groups),
        )
        for u in DETAILS["UserDetailList"]
    ]
    return [*roles, *users]


def test_authorization_details_principals_and_policies() -> None:
    found = identities()
    assert [principal_label(r) for r in DETAILS["RoleDetailList"]] == ["EC2role"]
    assert {i.name for i in found} == {"EC2role", "Test-Role", "Alice", "Bob", "Charlie", "Dana"}
    for identity in found:
        assert identity.id.startswith("arn:aws:iam::123456789012:") and aware(identity.created)
        assert identity.aliases and identity.aliases[0].startswith(("AROA", "AIDA"))
    alice = next(i for i in found if i.name == "Alice")
    assert (
        alice.enabled
        and alice.privileged
        and {c.id for c in alice.credentials}
        == {
            "AKIA111111111EXAMPLE",
            "AKIA222222222EXAMPLE",
        }
    )
    dana = next(i for i in found if i.name == "Dana")
    assert dana.last_used.state == "unknown"  # the report has no row for Dana: not never


def test_credential_report_rows() -> None:
    rows = parse_credential_report(corpus.CREDENTIAL_REPORT_CSV.encode(), None).rows
    assert [row_label(r) for r in rows] == ["arn:aws:iam::123456789012:user/Alice"]  # the root row is left out
    alice = report_row(rows[0])
    assert not alice.password_enabled and [s.active for s in alice.key_slots] == [True, True]
    assert all(aware(s.rotated) for s in alice.key_slots)
    uses = report_key_uses([access_key(k) for k in corpus.LIST_ACCESS_KEYS], alice)
    assert set(uses) == {"AKIA111111111EXAMPLE", "AKIA222222222EXAMPLE"}


CREDENTIAL_SAMPLES = [
    *[(access_key, r, "AccessKeyId") for r in corpus.LIST_ACCESS_KEYS],
    *[(ssh_public_key, r, "SSHPublicKeyId") for r in corpus.LIST_SSH_PUBLIC_KEYS],
    *[(signing_certificate, r, "CertificateId") for r in corpus.LIST_SIGNING_CERTIFICATES],
    *[(service_specific_credential, r, "ServiceSpecificCredentialId") for r in SERVICE_CREDENTIALS],
]


@pytest.mark.parametrize(
    ("build", "record", "id_field"), CREDENTIAL_SAMPLES, ids=[s[1][s[2]] for s in CREDENTIAL_SAMPLES]
)
def test_per_user_credentials(build: Any, record: dict[str, Any], id_field: str) -> None:
    credential: Credential = build(record)
    assert credential.id == record[id_field]
    assert credential.active is (record["Status"] == "Active")
    assert aware(credential.created) and aware(credential.expires)
    kept = json.dumps(credential.model_dump(mode="json"))
    assert "CERTIFICATE" not in kept and "ssh-rsa" not in kept  # no key material


def test_access_key_last_used_answers() -> None:
    used = key_last_use(corpus.GET_ACCESS_KEY_LAST_USED)
    assert (used.state, used.detail, aware(used.at)) == ("used", "s3", True)
    assert key_last_use(corpus.GET_ACCESS_KEY_NEVER_USED).state == "never"


def test_revocation_steps_of_every_corpus_identity_parse() -> None:
    steps = [step for identity in identities() for step in AwsConnector.revocation_steps(identity)]
    script = "\n".join(step.command for step in steps)
    assert steps and subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0
