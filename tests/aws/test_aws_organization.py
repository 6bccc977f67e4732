"""Organizations discovery from AWS's own ListAccounts samples (botocore Stubber, every page),
and through the connector against moto: State with the retired Status as fallback, no account
dropped in silence, role ARNs in the account's partition."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from helpers.aws_corpus import LIST_ACCOUNTS_GOVCLOUD, LIST_ACCOUNTS_STATE_ONLY, LIST_ACCOUNTS_STATUS_ONLY
from helpers.moto import Moto
from partner_nhi.connectors.aws import AwsConnector
from partner_nhi.connectors.aws.organization import (
    DISCOVERY_NOTE,
    Discovered,
    UnreadableAccount,
    discover_accounts,
)
from partner_nhi.contract import CallCounter
from partner_nhi.coverage import RetryPolicy, UnitRecorder


def discover(*pages: list[dict[str, Any]], partition: str = "aws") -> Discovered:
    """discover_accounts over these pages, as Organizations would send them (NextToken between)."""
    organizations = boto3.client("organizations", region_name="us-east-1")
    with Stubber(organizations) as stub:
        for number, accounts in enumerate(pages):
            response: dict[str, Any] = {"Accounts": accounts}
            if number < len(pages) - 1:
                response["NextToken"] = f"page-{number + 1}"
            expected = {"NextToken": f"page-{number}"} if number else {}
            stub.add_response("list_accounts", response, expected)
        found = discover_accounts(organizations, "aws", "auditor", partition)
        stub.assert_no_pending_responses()
    return found


def test_the_retired_status_is_still_read() -> None:
    found = discover(LIST_ACCOUNTS_STATUS_ONLY)
    assert [(s.id, s.name) for s in found.scopes] == [
        ("111111111111", "Master Account"),
        ("222222222222", "Developer Account"),
    ]
    assert found.scopes[1].settings["role_arn"] == "arn:aws:iam::222222222222:role/auditor"


def test_state_decides_and_every_page_is_read() -> None:
    found = discover(LIST_ACCOUNTS_STATE_ONLY[:2], LIST_ACCOUNTS_STATE_ONLY[2:])
    assert [s.id for s in found.scopes] == ["111111111111", "444444444444"]
    assert found.left_out == {"333333333333": "SUSPENDED", "555555555555": "CLOSED"}
    assert found.members == {a["Id"] for a in LIST_ACCOUNTS_STATE_ONLY}
    assert not any(DISCOVERY_NOTE in s.settings for s in found.scopes)


def test_role_arns_use_the_accounts_partition() -> None:
    [scope] = discover(LIST_ACCOUNTS_GOVCLOUD).scopes
    assert scope.settings["role_arn"] == "arn:aws-us-gov:iam::666666666666:role/auditor"
    without_arn = [{k: v for k, v in LIST_ACCOUNTS_GOVCLOUD[0].items() if k != "Arn"}]
    [scope] = discover(without_arn, partition="aws-cn").scopes  # the session's partition, from its region
    assert scope.settings["role_arn"] == "arn:aws-cn:iam::666666666666:role/auditor"


def test_an_account_of_unknown_state_is_scanned_and_says_why() -> None:
    stateless = [{k: v for k, v in LIST_ACCOUNTS_STATE_ONLY[0].items() if k != "State"}]
    [scope] = discover(stateless).scopes
    assert scope.settings[DISCOVERY_NOTE] == "Organizations gave this account no State (nor Status): scanned"
    future = [{**LIST_ACCOUNTS_STATE_ONLY[0], "State": "MIGRATING"}]
    [scope] = discover(future).scopes
    assert "'MIGRATING' is not one partner-nhi knows: scanned" in scope.settings[DISCOVERY_NOTE]


def test_an_unreadable_account_fails_discovery_naming_it() -> None:
    nameless = [LIST_ACCOUNTS_STATE_ONLY[0], {k: v for k, v in LIST_ACCOUNTS_STATE_ONLY[2].items() if k != "Id"}]
    with pytest.raises(UnreadableAccount, match="account Production Account: field 'Id': missing"):
        discover(nameless)


def test_a_configured_account_the_organisation_does_not_list_is_noted(moto: Moto) -> None:
    organizations = boto3.client("organizations", endpoint_url=moto.endpoint, region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    outsider = "210987654321"
    moto.seeder(outsider).user("svc", 10)
    connector = AwsConnector(
        moto.settings(
            accounts=[{"id": outsider, "role_arn": f"arn:aws:iam::{outsider}:role/partner-nhi"}],
            organization={"enabled": True},
        )
    )
    discovered = connector.discover()
    assert [s.id for s in discovered] == ["123456789012"]  # moto sends State and Status: ACTIVE
    [configured] = connector.scopes()
    recorder = UnitRecorder(connector, RetryPolicy(1), configured)
    connector.collect(configured, recorder, CallCounter())
    principals = next(o for o in recorder.outcomes() if o.resource_type == "iam-authorization-details")
    assert principals.notes == ["configured, but not among the accounts organizations:ListAccounts listed"]
