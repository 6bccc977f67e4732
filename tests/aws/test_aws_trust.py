"""Role trust policies from AWS's documented samples: who may assume the role, and what the
trust leaves open."""

from __future__ import annotations

import json

from helpers.aws_corpus import TRUST_DELETED_PRINCIPALS
from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import scan
from partner_nhi.connectors.aws.trust import trusted_parties

OWN = "123456789012"


def parties(document: dict[str, object]) -> set[tuple[str, str, bool]]:
    return {(a.kind, a.value, a.external) for a in trusted_parties(document, OWN, [])}


def test_deleted_principals_are_dangling_not_external_accounts() -> None:
    assert parties(TRUST_DELETED_PRINCIPALS) == {
        ("deleted-principal", "AIDAJQABLZS4A3QDU576Q", False),
        ("deleted-principal", "AROAKSCDLFT9R5DQP782U", False),
    }


def test_a_role_trusting_a_deleted_role_is_reported_as_dangling(moto: Moto) -> None:
    seed = moto.seeder()
    trust = json.dumps(TRUST_DELETED_PRINCIPALS)
    seed.role("old-vendor-bridge", 300, trust, used_days_ago=1, tags={"owner": "alice@example.com"})
    run = scan({"aws": moto.settings()}, sample_registry(), None)
    [finding] = run.findings  # no orphaned-identity: a deleted principal is no unknown partner
    assert (finding.rule, finding.identity_name) == ("dangling-trust", "old-vendor-bridge")
    assert finding.evidence["deleted_principals"] == ["AIDAJQABLZS4A3QDU576Q", "AROAKSCDLFT9R5DQP782U"]
