"""Privilege through groups: GetAccountAuthorizationDetails with groups, from the AWS CLI's
documented output (sent through botocore as AWS sends it), and against moto."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote

import boto3
from botocore.stub import Stubber

from helpers.aws_corpus import AUTHORIZATION_DETAILS
from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import scan
from partner_nhi.connectors.aws.authorization import fetch_authorization_details
from partner_nhi.connectors.aws.normalize import Grant, group_grant, local_policy, user_grant


def as_sent(details: dict[str, Any]) -> dict[str, Any]:
    """Policy documents as the API sends them: URL-encoded JSON strings (botocore decodes them)."""
    sent = copy.deepcopy(details)
    for group in sent["GroupDetailList"]:
        for inline in group["GroupPolicyList"]:
            inline["PolicyDocument"] = quote(json.dumps(inline["PolicyDocument"]))
    for user in sent["UserDetailList"]:
        for inline in user["UserPolicyList"]:
            inline["PolicyDocument"] = quote(json.dumps(inline["PolicyDocument"]))
    for role in sent["RoleDetailList"]:
        role["AssumeRolePolicyDocument"] = quote(json.dumps(role["AssumeRolePolicyDocument"]))
    for policy in sent["Policies"]:
        for version in policy["PolicyVersionList"]:
            version["Document"] = quote(json.dumps(version["Document"]))
    return sent


def grants() -> dict[str, Grant]:
    iam = boto3.client("iam", region_name="us-east-1")
    with Stubber(iam) as stub:
        stub.add_response(
            "get_account_authorization_details",
            as_sent(AUTHORIZATION_DETAILS),
            {"Filter": ["User", "Role", "Group", "LocalManagedPolicy"]},
        )
        details = fetch_authorization_details(iam)
    policies = dict(local_policy(policy) for policy in details.policies)
    groups = dict(group_grant(group, policies) for group in details.groups)
    return {user["UserName"]: user_grant(user, policies, groups) for user in details.users}


def test_users_are_privileged_through_their_groups() -> None:
    by_user = grants()
    assert by_user["Alice"] == Grant(("group:Admins:AdministratorAccess",), True)
    assert by_user["Bob"].privileged  # its own Deny on iam:* does not undo what the group grants elsewhere
    assert by_user["Bob"].permissions == ("inline:DenyBillingAndIAMPolicy", "group:Admins:AdministratorAccess")
    assert by_user["Charlie"] == Grant(("group:Dev:PowerUserAccess",), True)
    assert by_user["Dana"] == Grant(("group:Finance:inline:policygen-201310141157",), False)


def test_a_group_that_cannot_be_read_is_named_not_ignored() -> None:
    user = AUTHORIZATION_DETAILS["UserDetailList"][0]
    assert user_grant(user, {}, {}) == Grant(("group:Admins:unreadable",), False)


def test_a_partner_user_admin_through_a_group_raises_severity(moto: Moto) -> None:
    seed = moto.seeder()
    seed.user("acme-sync", 400)
    seed.key("acme-sync", 300, used_days_ago=1)
    seed.user("acme-reader", 400)
    seed.key("acme-reader", 300, used_days_ago=1)
    seed.iam.create_group(GroupName="deployers")
    seed.iam.attach_group_policy(GroupName="deployers", PolicyArn=seed.policy("deploy-admin"))
    seed.iam.add_user_to_group(GroupName="deployers", UserName="acme-sync")
    run = scan({"aws": moto.settings()}, sample_registry(), None)
    assert run.status == "complete"
    identities = {j.identity.name: j.identity for j in run.identities}
    assert identities["acme-sync"].privileged
    assert identities["acme-sync"].permissions == ("group:deployers:deploy-admin",)
    assert not identities["acme-reader"].privileged
    unrotated = {f.identity_name: f for f in run.findings if f.rule == "unrotated-credential"}
    # medium, raised one step for the offboarded partner and one more for admin power
    assert (unrotated["acme-sync"].severity.value, unrotated["acme-reader"].severity.value) == ("critical", "high")
    assert unrotated["acme-sync"].evidence["privileged"] == ["group:deployers:deploy-admin"]
