"""AWS transforms from fixture payloads (pure): trust policies, privilege, report slots, paging."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

import boto3
import pytest
from botocore.stub import Stubber

from partner_nhi.connectors.aws.authorization import fetch_authorization_details
from partner_nhi.connectors.aws.credential_report import parse_credential_report, report_date, report_row
from partner_nhi.connectors.aws.credentials import access_key
from partner_nhi.connectors.aws.normalize import permissions_of, role_identity
from partner_nhi.connectors.aws.trust import trusted_parties
from partner_nhi.connectors.aws.users import report_key_uses
from partner_nhi.contract import MalformedRecord

OWN = "123456789012"


def test_trust_policy_principals() -> None:
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666", f"arn:aws:iam::{OWN}:role/x"]},
            },
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}},
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"},
            },
            {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{OWN}:saml-provider/okta"}},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}},
        ]
    }
    parties = {(a.kind, a.value, a.external) for a in trusted_parties(document, OWN, ["444455556666"])}
    assert parties == {
        ("aws-account", "111122223333", True),
        ("aws-account", "444455556666", False),
        ("aws-account", OWN, False),
        ("aws-service", "lambda.amazonaws.com", False),
        ("oidc", "token.actions.githubusercontent.com", False),
        ("saml", f"arn:aws:iam::{OWN}:saml-provider/okta", False),
    }


def test_wildcard_principal_is_external() -> None:
    [party] = trusted_parties({"Statement": {"Effect": "Allow", "Principal": "*"}}, OWN, [])
    assert (party.value, party.external) == ("*", True)


def test_url_encoded_trust_policy_is_decoded() -> None:
    raw = quote(json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}}]}))
    role = {
        "Arn": f"arn:aws:iam::{OWN}:role/r",
        "RoleName": "r",
        "RoleId": "AROA1",
        "Path": "/",
        "AssumeRolePolicyDocument": raw,
    }
    identity = role_identity(role, OWN, [], {}, datetime(2026, 11, 23, tzinfo=UTC))
    assert identity.affiliations[0].value == "111122223333"
    assert identity.last_used.state == "unknown"  # no RoleLastUsed, no creation date: never cannot be claimed


def test_privilege_from_aws_managed_inline_and_local_policies() -> None:
    admin = {
        "AttachedManagedPolicies": [
            {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
        ]
    }
    assert permissions_of(admin, {})[1]
    lookalike = {
        "AttachedManagedPolicies": [
            {"PolicyName": "AdministratorAccess", "PolicyArn": f"arn:aws:iam::{OWN}:policy/AdministratorAccess"}
        ]
    }
    assert not permissions_of(lookalike, {})[1]  # a customer policy of that name is judged by its document
    inline = {
        "RolePolicyList": [
            {
                "PolicyName": "all",
                "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
            }
        ]
    }
    assert permissions_of(inline, {}) == (["inline:all"], True)
    scoped = {
        "RolePolicyList": [
            {
                "PolicyName": "s3",
                "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
            }
        ]
    }
    assert permissions_of(scoped, {})[1] is False


REPORT = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
    "<root_account>,arn:aws:iam::1:root,2020-01-01T00:00:00+00:00,not_supported,2026-01-01T00:00:00+00:00,not_supported,"
    "not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    "svc,arn:aws:iam::1:user/svc,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2025-02-01T10:00:00+00:00,"
    "2026-11-01T00:00:00+00:00,us-east-1,s3,true,2026-10-01T10:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n"
)


def test_credential_report_slots_give_key_last_use_without_per_key_calls() -> None:
    report = parse_credential_report(REPORT.encode(), datetime(2026, 11, 20, tzinfo=UTC))
    assert [row["arn"] for row in report.rows] == ["arn:aws:iam::1:user/svc"]  # the root row is not an NHI
    row = report_row(report.rows[0])
    keys = [
        access_key(
            {
                "AccessKeyId": "AKIAOLD",
                "Status": "Active",
                "CreateDate": datetime(2025, 2, 1, 10, 0, 0, 412000, tzinfo=UTC),
            }
        ),
        access_key(
            {"AccessKeyId": "AKIANEW", "Status": "Active", "CreateDate": datetime(2026, 10, 1, 10, 0, tzinfo=UTC)}
        ),
        access_key({"AccessKeyId": "AKIALATE", "Status": "Active", "CreateDate": datetime(2026, 11, 21, tzinfo=UTC)}),
    ]
    uses = report_key_uses(keys, row)
    old = uses["AKIAOLD"]
    assert old.at == datetime(2026, 11, 1, tzinfo=UTC) and old.detail == "s3"
    assert uses["AKIANEW"].state == "never"
    assert "AKIALATE" not in uses  # created after the report: GetAccessKeyLastUsed speaks for it


def test_report_dates() -> None:
    row = {"a": "no_information", "b": "N/A", "c": "", "d": "2026-01-02T03:04:05+00:00", "e": "yesterday"}
    assert report_date(row, "a") is None and report_date(row, "b") is None and report_date(row, "c") is None
    assert report_date(row, "d") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(MalformedRecord, match="field 'e': not an ISO 8601 date: 'yesterday'"):
        report_date(row, "e")


def test_authorization_details_follows_every_page() -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    user = {
        "UserName": "u{}",
        "UserId": "AIDAEXAMPLEUSER0{}",
        "Arn": "arn:aws:iam::1:user/u{}",
        "Path": "/",
        "CreateDate": datetime(2026, 1, 1),
    }

    def page(n: int) -> list[dict[str, object]]:
        return [{k: (v.format(n) if isinstance(v, str) else v) for k, v in user.items()}]

    with Stubber(iam) as stub:
        stub.add_response(
            "get_account_authorization_details", {"UserDetailList": page(1), "IsTruncated": True, "Marker": "m1"}
        )
        stub.add_response(
            "get_account_authorization_details",
            {"UserDetailList": page(2), "IsTruncated": False},
            {"Filter": ["User", "Role", "Group", "LocalManagedPolicy"], "Marker": "m1"},
        )
        details = fetch_authorization_details(iam)
        stub.assert_no_pending_responses()
    assert [u["UserName"] for u in details.users] == ["u1", "u2"]


def test_arns_of_every_partition() -> None:
    """IAM ARNs are arn:PARTITION:iam::ACCOUNT:... in aws, aws-us-gov and aws-cn alike (IAM User
    Guide, "IAM ARNs"); AWS-managed policies are arn:PARTITION:iam::aws:policy/NAME."""
    for partition in ("aws", "aws-us-gov", "aws-cn"):
        document = {"Statement": {"Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::111122223333:root"}}}
        [party] = trusted_parties(document, OWN, [])
        assert (party.value, party.external) == ("111122223333", True)
        admin = {
            "AttachedManagedPolicies": [
                {
                    "PolicyName": "AdministratorAccess",
                    "PolicyArn": f"arn:{partition}:iam::aws:policy/AdministratorAccess",
                }
            ]
        }
        assert permissions_of(admin, {})[1]
