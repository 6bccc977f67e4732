"""Failures never become empty lists: a failed account keeps its findings open,
throttling is retried to the same result, a 500 is a failed unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.builders import sample_registry
from helpers.moto import Moto
from helpers.scan import by_rule, scan
from partner_nhi.connector import UnitStatus
from partner_nhi.store import Store

REMOTE = "210987654321"


def two_accounts(moto: Moto) -> dict[str, object]:
    return moto.settings(
        accounts=[{"id": "123456789012"}, {"id": REMOTE, "role_arn": f"arn:aws:iam::{REMOTE}:role/partner-nhi"}]
    )


def seed_two_accounts(moto: Moto) -> str:
    moto.seeder().user("home-svc", 30, tags={"owner": "alice@example.com"})
    moto.seeder().key("home-svc", 20, used_days_ago=1)
    remote = moto.seeder(REMOTE)
    remote.user("legacy", 400)
    return remote.key("legacy", 300)


def test_failed_account_makes_run_partial_and_keeps_its_findings_open(moto: Moto, tmp_path: Path) -> None:
    key = seed_two_accounts(moto)
    store = Store(f"sqlite:///{tmp_path}/history.db")
    first = scan({"aws": two_accounts(moto)}, sample_registry(), store)
    assert first.status == "complete"
    unrotated = by_rule(first, "unrotated-credential")[f"legacy/{key}"]
    assert unrotated.status == "new"

    moto.traffic.fail("AssumeRole", 403, "AccessDenied", times=1)
    second = scan({"aws": two_accounts(moto)}, sample_registry(), store)

    assert second.status == "partial"
    failed = next(s for s in second.scopes if s.scope.id == REMOTE)
    assert failed.status is UnitStatus.FAILED
    assert failed.summary_error() is not None and "AccessDenied" in failed.summary_error()  # type: ignore[operator]
    home = next(s for s in second.scopes if s.scope.id == "123456789012")
    assert home.status is UnitStatus.COMPLETE
    kept = by_rule(second, "unrotated-credential")[f"legacy/{key}"]
    assert kept.status == "open" and kept.carried
    assert "AccessDenied" in kept.evidence["not_re_evaluated"]
    assert store.findings(rule="unrotated-credential", status="open")[0].id == unrotated.id
    assert not [i for i in store.identities(include_gone=True) if i.gone_run]

    # back to normal, and the partner's key is gone: now, and only now, it resolves
    moto.seeder(REMOTE).iam.delete_access_key(UserName="legacy", AccessKeyId=key)
    third = scan({"aws": two_accounts(moto)}, sample_registry(), store)
    assert third.status == "complete"
    assert by_rule(third, "unrotated-credential")[f"legacy/{key}"].status == "resolved"


def test_failed_credential_listing_keeps_key_findings_open(moto: Moto, tmp_path: Path) -> None:
    seed = moto.seeder()
    seed.user("svc", 300, tags={"owner": "alice@example.com"})
    key_a = seed.key("svc", 200, used_days_ago=1)
    seed.key("svc", 100, used_days_ago=1)
    store = Store(f"sqlite:///{tmp_path}/history.db")
    first = scan({"aws": moto.settings()}, sample_registry(), store)
    assert {"unrotated-credential", "multiple-active-credentials"} <= {f.rule for f in first.findings}

    moto.traffic.fail("ListAccessKeys", 500, "ServiceUnavailable", times=50)
    second = scan({"aws": moto.settings()}, sample_registry(), store)

    units = {u.resource_type: u.status for u in second.scopes[0].units}
    assert units["access-keys"] is UnitStatus.FAILED
    assert units["iam-authorization-details"] is UnitStatus.COMPLETE
    assert second.status == "partial"
    assert by_rule(second, "unrotated-credential")[f"svc/{key_a}"].status == "open"
    assert by_rule(second, "multiple-active-credentials")["svc"].status == "open"
    [svc] = [i.identity for i in second.identities]
    assert svc.last_used.state == "unknown" and svc.enabled  # an error is not "no keys"


def test_unimplemented_api_is_a_failed_unit_not_none(moto: Moto) -> None:
    seed = moto.seeder()
    seed.user("svc", 10)
    moto.traffic.fail("ListServiceSpecificCredentials", 500, "InternalFailure", times=50)
    run = scan({"aws": moto.settings()}, sample_registry(), None)
    unit = next(u for u in run.scopes[0].units if u.resource_type == "service-specific-credentials")
    assert unit.status is UnitStatus.FAILED and "InternalFailure" in (unit.error or "")
    assert run.status == "partial"


def test_throttling_is_retried_to_the_same_result(moto: Moto) -> None:
    seed_two_accounts(moto)
    calm = scan({"aws": two_accounts(moto)}, sample_registry(), None)

    def sent(run: object, operation: str) -> int:
        return sum(s.api_calls_by_operation.get(operation, 0) for s in run.scopes)  # type: ignore[attr-defined]

    moto.traffic.fail("GetAccountAuthorizationDetails", 400, "Throttling", times=2)
    moto.traffic.fail("ListAccessKeys", 400, "ThrottlingException", times=2)
    stormy = scan({"aws": two_accounts(moto)}, sample_registry(), None)

    assert stormy.status == "complete"
    assert sorted(f.id for f in stormy.findings) == sorted(f.id for f in calm.findings)
    assert sorted(i.identity.id for i in stormy.identities) == sorted(i.identity.id for i in calm.identities)
    # the retries were sent, and counted
    assert sent(stormy, "iam:GetAccountAuthorizationDetails") == sent(calm, "iam:GetAccountAuthorizationDetails") + 2
    assert sent(stormy, "iam:ListAccessKeys") == sent(calm, "iam:ListAccessKeys") + 2


def test_persistent_throttling_fails_the_unit_after_retries(moto: Moto) -> None:
    moto.seeder().user("svc", 10)
    moto.traffic.fail("GetAccountAuthorizationDetails", 400, "Throttling", times=1000)
    run = scan({"aws": moto.settings(max_attempts=2)}, sample_registry(), None)
    [scope] = run.scopes
    principals = next(u for u in scope.units if u.resource_type == "iam-authorization-details")
    assert principals.status is UnitStatus.FAILED and principals.error_kind is not None
    assert principals.error_kind.value == "throttled"
    assert run.identities == [] and run.status == "failed"
    # 3 engine attempts x 2 botocore attempts each
    assert moto.actions.count("GetAccountAuthorizationDetails") == 6


MALFORMED = """<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
<GetAccountAuthorizationDetailsResult><IsTruncated>false</IsTruncated>
<UserDetailList>
 <member><UserName>good</UserName><UserId>AIDAGOODUSER00000001</UserId><Arn>arn:aws:iam::123456789012:user/good</Arn>
  <Path>/</Path><CreateDate>2026-01-01T00:00:00Z</CreateDate></member>
 <member><UserName>broken</UserName><UserId>AIDABROKENUSER000001</UserId><Path>/</Path></member>
</UserDetailList>
<RoleDetailList/><Policies/><GroupDetailList/>
</GetAccountAuthorizationDetailsResult>
<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>"""


def test_malformed_record_is_named_and_keeps_the_listing_partial(moto: Moto, tmp_path: Path) -> None:
    moto.seeder().user("good", 300)
    moto.seeder().user("other", 300)
    store = Store(f"sqlite:///{tmp_path}/h.db")
    first = scan({"aws": moto.settings()}, sample_registry(), store)
    other = by_rule(first, "orphaned-identity")["other"]

    moto.traffic.answer("GetAccountAuthorizationDetails", MALFORMED)  # lists good and a broken record, not other
    second = scan({"aws": moto.settings()}, sample_registry(), store)

    principals = next(u for u in second.scopes[0].units if u.resource_type == "iam-authorization-details")
    assert principals.status is UnitStatus.PARTIAL
    assert principals.error == "malformed record 'broken': field 'Arn': missing"
    assert [j.identity.name for j in second.identities] == ["good"]  # the well-formed record is kept
    assert second.status == "partial"
    assert {u.resource_type for u in second.scopes[0].units if u.status is not UnitStatus.COMPLETE} == {
        "iam-authorization-details"
    }  # no per-user call is made for a record that names no user
    # 'other' is absent from a listing that was not complete: not gone, its finding still open
    kept = by_rule(second, "orphaned-identity")["other"]
    assert kept.id == other.id and kept.status == "open" and kept.carried
    assert all(row.gone_run is None for row in store.identities(include_gone=True))


def test_every_account_is_read_through_one_session_with_its_own_credentials(
    moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One boto3 session for the run (each session keeps its own copy of the service models):
    the assumed role's credentials go to each client, and each account still sees its own users."""
    import partner_nhi.connectors.aws as aws
    from partner_nhi.connectors.aws import clients

    sessions: list[object] = []

    def counted(settings: object) -> object:
        sessions.append(clients.new_session(settings))  # type: ignore[arg-type]
        return sessions[-1]

    monkeypatch.setattr(aws, "new_session", counted)
    seed_two_accounts(moto)
    run = scan({"aws": two_accounts(moto)}, sample_registry(), None)
    assert run.status == "complete" and len(sessions) == 1
    names = {scope.scope.id: {i.name for i in scope.identities} for scope in run.scopes}
    assert names == {"123456789012": {"home-svc"}, REMOTE: {"legacy"}}
