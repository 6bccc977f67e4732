"""ListServiceSpecificCredentials: every page (Marker/IsTruncated, no botocore paginator), API keys'
expiry carried into the credential so the expiry rules apply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from helpers.aws_corpus import SERVICE_CREDENTIAL_PAGES, at
from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import by_rule, scan
from partner_nhi.connectors.aws.credentials import service_specific_credential
from partner_nhi.connectors.aws.user_credentials import IncompletePaging, list_service_specific_credentials


def listed(*pages: dict[str, Any]) -> list[dict[str, Any]]:
    iam = boto3.client("iam", region_name="us-east-1")
    with Stubber(iam) as stub:
        for number, page in enumerate(pages):
            expected = {"UserName": "Anika", **({"Marker": pages[number - 1]["Marker"]} if number else {})}
            stub.add_response("list_service_specific_credentials", page, expected)
        found = list_service_specific_credentials(iam, "Anika")
        stub.assert_no_pending_responses()
    return found


def test_every_page_is_followed() -> None:
    ids = [r["ServiceSpecificCredentialId"] for r in listed(*SERVICE_CREDENTIAL_PAGES)]
    assert ids == ["ACCAEXAMPLECODECOMMIT1", "ACCAEXAMPLEBEDROCKKEY1", "ACCAEXAMPLELOGSAPIKEY1"]


def test_a_truncated_page_without_a_marker_is_an_error_not_the_end() -> None:
    broken = {k: v for k, v in SERVICE_CREDENTIAL_PAGES[0].items() if k != "Marker"}
    with pytest.raises(IncompletePaging, match="truncated page without a new Marker"):
        listed(broken)


def test_api_keys_carry_their_expiry_and_alias() -> None:
    records = [r for page in SERVICE_CREDENTIAL_PAGES for r in page["ServiceSpecificCredentials"]]
    codecommit, bedrock, logs = (service_specific_credential(r) for r in records)
    assert (codecommit.expires, codecommit.display) == (None, "codecommit.amazonaws.com")
    assert bedrock.active and bedrock.expires == at("2026-12-01T12:00:00Z")
    assert bedrock.display == "bedrock.amazonaws.com (Anika+1-at-123456789012)"
    assert not logs.active and logs.expires == at("2025-04-10T08:00:00Z")  # Status Expired: not active


def test_expiring_and_expired_api_keys_are_found(moto: Moto) -> None:
    from partner_nhi.connectors.aws.emulator import add_service_credential

    now = datetime.now(UTC)
    seed = moto.seeder()
    seed.user("bedrock-app", 60, tags={"owner": "alice@example.com"})
    account = "123456789012"
    add_service_credential(
        account,
        "bedrock-app",
        "ACCAEXAMPLEBEDROCKKEY1",
        "bedrock.amazonaws.com",
        now - timedelta(days=20),
        expires=now + timedelta(days=10),
        alias="bedrock-app+1-at-123456789012",
    )
    add_service_credential(
        account,
        "bedrock-app",
        "ACCAEXAMPLEBEDROCKKEY2",
        "bedrock.amazonaws.com",
        now - timedelta(days=50),
        expires=now - timedelta(days=5),
        alias="bedrock-app+2-at-123456789012",
    )
    run = scan({"aws": moto.settings()}, sample_registry(), None)
    assert run.status == "complete"
    assert set(by_rule(run, "expiring-credential")) == {"bedrock-app/ACCAEXAMPLEBEDROCKKEY1"}
    assert set(by_rule(run, "expired-credential")) == {"bedrock-app/ACCAEXAMPLEBEDROCKKEY2"}
