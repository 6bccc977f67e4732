"""AWS history under faults (the foundation issue): through the real console entry point or
the engine and store, boto3 against moto, with faults injected at moto's door.

No malformed record, failed listing, failed discovery, overlapping run, duplicate scope or
crash may resolve a finding that was not seen again, or mark an identity gone. Malformed
bodies are moto's own answers with one record broken, so everything else is real-shaped.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from helpers.builders import REGISTRY, sample_registry
from helpers.cli import Outcome, run_cli
from helpers.databases import refusing_writes, run_rows
from helpers.moto import Moto
from helpers.scan import FAST_RETRY, scan
from partner_nhi.connectors.aws.authorization import FILTER
from partner_nhi.connectors.aws.demo import trust
from partner_nhi.connectors.aws.emulator import add_service_credential
from partner_nhi.results import RunResult
from partner_nhi.store import Store

ACCOUNT = "123456789012"
ACME = "111122223333"
UNKNOWN = "999900001111"


@dataclass(frozen=True)
class Estate:
    keys: dict[str, list[str]]  # user -> its access key ids, oldest first


def seed_estate(moto: Moto) -> Estate:
    """Partner NHIs with findings of every kind the malformed records touch."""
    from moto.iam.models import iam_backends

    s = moto.seeder()
    s.user("acme-sync", 400)  # acme (offboarded) by name pattern: unrotated, two active keys
    acme = [s.key("acme-sync", 300, used_days_ago=2), s.key("acme-sync", 10, used_days_ago=1)]
    s.user("legacy", 520)  # no owner; a key never used
    legacy = [s.key("legacy", 200)]
    s.user("vendor-portal", 400, tags={"owner": "carol@example.com"})  # departed owner; a human signs in
    with s.at(390):
        s.iam.create_login_profile(UserName="vendor-portal", Password="Test-only-not-a-secret-1!")
    portal = iam_backends[ACCOUNT]["global"].users["vendor-portal"]
    portal.password_last_used = s.now - timedelta(days=200)  # type: ignore[assignment]
    with s.at(380):
        s.iam.upload_ssh_public_key(UserName="vendor-portal", SSHPublicKeyBody=_SSH_KEY)
    s.user("globex-mirror", 200, tags={"owner": "bob@example.com"})  # a CodeCommit credential, 150 days old
    add_service_credential(
        ACCOUNT, "globex-mirror", "ACCAEXAMPLECODECOMMIT1", "codecommit.amazonaws.com", s.now - timedelta(days=150)
    )
    s.user("twin-keys", 300, tags={"owner": "alice@example.com"})  # same-second keys: asked one by one
    twins = [s.key("twin-keys", 50, used_days_ago=1), s.key("twin-keys", 50, used_days_ago=2)]
    s.role("acme-crossaccount", 500, trust({"AWS": f"arn:aws:iam::{ACME}:root"}), used_days_ago=5)
    s.role("unknown-vendor-access", 200, trust({"AWS": f"arn:aws:iam::{UNKNOWN}:root"}))
    return Estate({"acme-sync": acme, "legacy": legacy, "twin-keys": twins})


_SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 test-only-public-key"


def write_config(folder: Path, url: str, aws: dict[str, Any]) -> Path:
    registry = folder / "registry.yaml"
    registry.write_text(yaml.safe_dump(REGISTRY))
    config = folder / "config.yaml"
    settings = {"registry": str(registry), "database": url, "connectors": {"aws": aws}, "retry": FAST_RETRY}
    config.write_text(yaml.safe_dump(settings))
    return config


def scan_cli(monkeypatch: pytest.MonkeyPatch, config: Path) -> tuple[Outcome, dict[str, Any]]:
    outcome = run_cli(monkeypatch, "scan", "-c", str(config), "-f", "json")
    return outcome, json.loads(outcome.stdout) if outcome.stdout else {}


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {f["id"]: f["status"] for f in document["findings"]}


def unit(document: dict[str, Any], name: str, scope: str = ACCOUNT) -> dict[str, Any]:
    [entry] = [s for s in document["run"]["scopes"] if s["scope"] == scope]
    return next(u for u in entry["units"] if u["resource_type"] == name)


def nothing_gone(url: str) -> bool:
    with Store(url) as store:
        return all(row.gone_run is None for row in store.identities(include_gone=True))


# -- moto's own answers, with one record broken -----------------------------------------------


def moto_xml(moto: Moto, action: str, **parameters: str) -> str:
    """What moto answers to ``action`` for the default account: a real-shaped IAM body."""
    body = urllib.parse.urlencode({"Action": action, "Version": "2010-05-08", **parameters}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        moto.endpoint,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            # moto routes by the signing scope and picks the account by the key; it checks no signature
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback
        return str(response.read().decode())


def member_of(xml: str, marker: str) -> str:
    """The ``<member>`` element (not nesting another) that contains ``marker``."""
    for match in re.finditer(r"<member>((?:(?!<member>).)*?)</member>", xml, re.S):
        if marker in match.group(0):
            return match.group(0)
    raise AssertionError(f"no member with {marker}")


def key_without_id(moto: Moto, estate: Estate) -> None:
    """ListAccessKeys for acme-sync: its two keys, and a third record without AccessKeyId."""
    xml = moto_xml(moto, "ListAccessKeys", UserName="acme-sync")
    broken = re.sub(r"<AccessKeyId>[^<]+</AccessKeyId>", "", member_of(xml, estate.keys["acme-sync"][0]))
    moto.traffic.answer(
        "ListAccessKeys",
        xml.replace("</AccessKeyMetadata>", broken + "</AccessKeyMetadata>"),
        when={"UserName": "acme-sync"},
    )


def bad_report_date(moto: Moto, estate: Estate) -> None:
    """GetCredentialReport: acme-sync's row with an access key's last use that is not a date."""
    boto3.client("iam", endpoint_url=moto.endpoint, region_name="us-east-1").generate_credential_report()
    xml = moto_xml(moto, "GetCredentialReport")
    content = re.search(r"<Content>([^<]+)</Content>", xml)
    assert content is not None
    lines = base64.b64decode(content.group(1)).decode().splitlines()
    header = lines[0].split(",")
    column = header.index("access_key_1_last_used_date")
    for number, line in enumerate(lines):
        if line.startswith("acme-sync,"):
            cells = line.split(",")
            cells[column] = "2026-13-45T25:61:00+00:00"
            lines[number] = ",".join(cells)
    report = base64.b64encode(("\n".join(lines) + "\n").encode()).decode()
    moto.traffic.answer("GetCredentialReport", xml.replace(content.group(1), report))


def authorization_details_xml(moto: Moto) -> str:
    return moto_xml(
        moto,
        "GetAccountAuthorizationDetails",
        **{f"Filter.member.{n}": kind for n, kind in enumerate(FILTER, 1)},
    )


def user_without_arn(moto: Moto, estate: Estate) -> None:
    """GetAccountAuthorizationDetails: the user legacy without its ARN."""
    xml = authorization_details_xml(moto)
    member = member_of(xml, "<UserName>legacy</UserName>")
    moto.traffic.answer("GetAccountAuthorizationDetails", xml.replace(member, re.sub(r"<Arn>[^<]+</Arn>", "", member)))


def unreadable_trust_policy(moto: Moto, estate: Estate) -> None:
    """GetAccountAuthorizationDetails: a role whose trust policy is not JSON."""
    xml = authorization_details_xml(moto)
    member = member_of(xml, "<RoleName>unknown-vendor-access</RoleName>")
    garbled = re.sub(
        r"<AssumeRolePolicyDocument>.*?</AssumeRolePolicyDocument>",
        "<AssumeRolePolicyDocument>%7B%22Statement%22%3A</AssumeRolePolicyDocument>",
        member,
        flags=re.S,
    )
    moto.traffic.answer("GetAccountAuthorizationDetails", xml.replace(member, garbled))


def ssh_key_without_id(moto: Moto, estate: Estate) -> None:
    """ListSSHPublicKeys for vendor-portal: its key without SSHPublicKeyId."""
    xml = moto_xml(moto, "ListSSHPublicKeys", UserName="vendor-portal")
    broken = re.sub(r"<SSHPublicKeyId>[^<]+</SSHPublicKeyId>", "", xml)
    moto.traffic.answer("ListSSHPublicKeys", broken, when={"UserName": "vendor-portal"})


def service_credential_without_service(moto: Moto, estate: Estate) -> None:
    """ListServiceSpecificCredentials for globex-mirror: its credential without ServiceName."""
    xml = moto_xml(moto, "ListServiceSpecificCredentials", UserName="globex-mirror")
    broken = re.sub(r"<ServiceName>[^<]+</ServiceName>", "", xml)
    moto.traffic.answer("ListServiceSpecificCredentials", broken, when={"UserName": "globex-mirror"})


def key_last_use_without_its_record(moto: Moto, estate: Estate) -> None:
    """GetAccessKeyLastUsed for one of twin-keys' keys: the answer without AccessKeyLastUsed."""
    key = estate.keys["twin-keys"][0]
    xml = moto_xml(moto, "GetAccessKeyLastUsed", AccessKeyId=key)
    broken = re.sub(r"<AccessKeyLastUsed>.*?</AccessKeyLastUsed>", "", xml, flags=re.S)
    moto.traffic.answer("GetAccessKeyLastUsed", broken, when={"AccessKeyId": key})


@dataclass(frozen=True)
class Malformed:
    name: str
    inject: Callable[[Moto, Estate], None]
    unit: str
    error: str  # may name {twin}: twin-keys' first key

    def expected(self, estate: Estate) -> str:
        return self.error.format(twin=estate.keys["twin-keys"][0])


MALFORMED = [
    Malformed(
        "access key without AccessKeyId",
        key_without_id,
        "access-keys",
        "malformed record 'user acme-sync: record #3': field 'AccessKeyId': missing",
    ),
    Malformed(
        "bad credential-report date",
        bad_report_date,
        "credential-report",
        f"malformed record 'arn:aws:iam::{ACCOUNT}:user/acme-sync': field 'access_key_1_last_used_date': "
        "not an ISO 8601 date: '2026-13-45T25:61:00+00:00'",
    ),
    Malformed(
        "user without Arn",
        user_without_arn,
        "iam-authorization-details",
        "malformed record 'legacy': field 'Arn': missing",
    ),
    Malformed(
        "trust policy not JSON",
        unreadable_trust_policy,
        "iam-authorization-details",
        "malformed record 'unknown-vendor-access': field 'AssumeRolePolicyDocument': not a JSON policy document",
    ),
    Malformed(
        "SSH key without SSHPublicKeyId",
        ssh_key_without_id,
        "ssh-public-keys",
        "malformed record 'user vendor-portal: record #1': field 'SSHPublicKeyId': missing",
    ),
    Malformed(
        "service-specific credential without ServiceName",
        service_credential_without_service,
        "service-specific-credentials",
        "malformed record 'user globex-mirror: ACCAEXAMPLECODECOMMIT1': field 'ServiceName': missing",
    ),
    Malformed(
        "access-key last-used answer without AccessKeyLastUsed",
        key_last_use_without_its_record,
        "access-key-last-used",
        "malformed record '{twin}': field 'AccessKeyLastUsed': missing",
    ),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[case.name for case in MALFORMED])
def test_a_malformed_record_costs_that_record_and_resolves_nothing(
    case: Malformed, moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    estate = seed_estate(moto)
    url = f"sqlite:///{tmp_path}/history.db"
    config = write_config(tmp_path, url, moto.settings())
    clean, first = scan_cli(monkeypatch, config)
    assert clean.code == 0 and first["run"]["status"] == "complete"
    assert len(first["findings"]) >= 10

    case.inject(moto, estate)
    broken, second = scan_cli(monkeypatch, config)

    assert broken.code == 3 and second["run"]["status"] == "partial"
    named = unit(second, case.unit)
    assert (named["status"], named["error"], named["items_failed"]) == ("partial", case.expected(estate), 1)
    others = [u["status"] for u in second["run"]["scopes"][0]["units"] if u["resource_type"] != case.unit]
    assert set(others) == {"complete"}  # the record cost its own unit, nothing else
    assert statuses(second) == dict.fromkeys(statuses(first), "open")  # nothing resolved, nothing new
    assert nothing_gone(url)
    kept = {i["name"] for i in second["identities"]}
    assert len(kept) >= len(first["identities"]) - 1  # every other record is kept and judged

    mended, third = scan_cli(monkeypatch, config)
    assert mended.code == 0 and third["run"]["status"] == "complete"
    assert statuses(third) == dict.fromkeys(statuses(first), "open")  # run 1's findings, same ids


def test_a_user_with_an_unreadable_key_is_reported_with_its_other_keys(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    estate = seed_estate(moto)
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/history.db", moto.settings())
    key_without_id(moto, estate)
    _, document = scan_cli(monkeypatch, config)
    [user] = [i for i in document["identities"] if i["name"] == "acme-sync"]
    assert sorted(c["id"] for c in user["credentials"]) == sorted(estate.keys["acme-sync"])
    assert user["enabled"] and user["last_used"] == "unknown"  # not all of its keys could be read
    rules = {(f["rule"], f["credential"]) for f in document["findings"] if f["identity_name"] == "acme-sync"}
    assert ("unrotated-credential", estate.keys["acme-sync"][0]) in rules
    assert ("multiple-active-credentials", None) in rules


def test_a_finding_is_carried_when_a_listing_it_relied_on_fails(moto: Moto, tmp_path: Path) -> None:
    """A user known only by its password: its last use and whether it can act come from the
    credential report. When the report fails, neither finding may resolve."""
    from moto.iam.models import iam_backends

    s = moto.seeder()
    s.user("portal-only", 400, tags={"owner": "alice@example.com"})
    with s.at(390):
        s.iam.create_login_profile(UserName="portal-only", Password="Test-only-not-a-secret-2!")
    portal = iam_backends[ACCOUNT]["global"].users["portal-only"]
    portal.password_last_used = s.now - timedelta(days=200)  # type: ignore[assignment]
    url = f"sqlite:///{tmp_path}/history.db"
    with Store(url) as store:
        first = scan({"aws": moto.settings()}, sample_registry(), store)
        assert {f.rule for f in first.findings} == {"stale-identity", "stale-credential"}

        moto.traffic.fail("GenerateCredentialReport", 403, "AccessDenied", times=20)
        second = scan({"aws": moto.settings()}, sample_registry(), store)

        assert second.status == "partial"
        assert {f.id: (f.status, f.carried) for f in second.findings} == {f.id: ("open", True) for f in first.findings}
        for finding in second.findings:
            assert "credential-report failed: ClientError" in finding.evidence["not_re_evaluated"]
        [row] = store.identities(include_gone=True)
        assert row.gone_run is None and "credential-report" in row.units
        [judged] = second.identities
        assert judged.identity.enabled and judged.identity.last_used.state == "unknown"


def organization_with_member(moto: Moto) -> str:
    """An AWS Organization of the default account and one member holding an acme user."""
    organizations = boto3.client("organizations", endpoint_url=moto.endpoint, region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    created = organizations.create_account(AccountName="acme-sandbox", Email="sandbox@example.com")
    member: str = created["CreateAccountStatus"]["AccountId"]
    remote = moto.seeder(member)
    remote.user("acme-remote", 400)
    remote.key("acme-remote", 300)
    return member


def test_failed_discovery_scans_configured_accounts_and_carries_discovered_ones(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = organization_with_member(moto)
    moto.seeder().user("legacy", 520)
    aws = moto.settings(accounts=[{"id": ACCOUNT}], organization={"enabled": True, "role_name": "auditor"})
    url = f"sqlite:///{tmp_path}/history.db"
    config = write_config(tmp_path, url, aws)
    clean, first = scan_cli(monkeypatch, config)
    assert clean.code == 0 and {s["scope"] for s in first["run"]["scopes"]} == {ACCOUNT, member}
    remote_findings = {f["id"] for f in first["findings"] if f["scope"] == member}
    assert remote_findings

    moto.traffic.fail("ListAccounts", 400, "AccessDeniedException", times=5)
    failed, second = scan_cli(monkeypatch, config)

    assert failed.code == 3 and second["run"]["status"] == "partial"
    scopes = {s["scope"]: s for s in second["run"]["scopes"]}
    assert "AccessDeniedException" in scopes["*"]["error"]
    assert scopes[ACCOUNT]["status"] == "complete" and scopes[ACCOUNT]["scanned"]  # configured: still scanned
    assert scopes[member]["status"] == "skipped" and not scopes[member]["scanned"]
    carried = [f for f in second["findings"] if f["scope"] == member]
    assert {f["id"] for f in carried} == remote_findings
    assert all(f["status"] == "open" and f["carried"] for f in carried)
    assert all("scope discovery failed" in f["evidence"]["not_re_evaluated"] for f in carried)
    assert statuses(second) == dict.fromkeys(statuses(first), "open")
    assert nothing_gone(url)


def test_an_account_configured_twice_is_scanned_once(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_estate(moto)
    aws = moto.settings(accounts=[{"id": ACCOUNT}, {"id": ACCOUNT, "name": "again"}])
    outcome, document = scan_cli(monkeypatch, write_config(tmp_path, f"sqlite:///{tmp_path}/h.db", aws))
    assert outcome.code == 0 and document["run"]["status"] == "complete"
    assert [s["scope"] for s in document["run"]["scopes"]] == [ACCOUNT]
    assert document["run"]["warnings"] == [f"aws scope {ACCOUNT} is configured more than once: scanned once"]
    assert len(document["findings"]) == len(statuses(document))
    assert moto.actions.count("GetAccountAuthorizationDetails") == 1


def test_an_older_listing_committed_last_changes_nothing(database_url: str, moto: Moto) -> None:
    """Run A's listing is held while the partner's role is deleted and the unknown account is
    removed from a trust policy, and run B (newer) resolves both; A then commits last."""
    seed_estate(moto)
    with Store(database_url) as store:
        first = scan({"aws": moto.settings()}, sample_registry(), store)
    orphaned = {f.identity_name: f.id for f in first.findings if f.rule == "orphaned-identity"}
    hold = moto.traffic.hold("GetAccountAuthorizationDetails")
    older: list[RunResult] = []

    def slow_run() -> None:
        with Store(database_url) as store:
            older.append(scan({"aws": moto.settings()}, sample_registry(), store))

    thread = threading.Thread(target=slow_run)
    thread.start()
    try:
        assert hold.reached.wait(30)  # A's listing is taken: both roles, as they were
        iam = moto.seeder().iam
        iam.delete_role(RoleName="acme-crossaccount")
        ec2 = trust({"Service": "ec2.amazonaws.com"})
        iam.update_assume_role_policy(RoleName="unknown-vendor-access", PolicyDocument=ec2)
        iam.tag_role(RoleName="unknown-vendor-access", Tags=[{"Key": "owner", "Value": "alice@example.com"}])
        with Store(database_url) as store:
            newer = scan({"aws": moto.settings()}, sample_registry(), store)
    finally:
        hold.release()
        thread.join(timeout=60)
    resolved = {f.id for f in newer.findings if f.status == "resolved"}
    assert {orphaned["acme-crossaccount"], orphaned["unknown-vendor-access"]} <= resolved

    [stale] = older
    assert stale.scopes[0].superseded_by == newer.id
    assert not [f for f in stale.findings if f.id in resolved]  # nothing of its older view shown as current
    with Store(database_url) as store:
        now = {f.id: f.status for f in store.findings()}
        assert {now[fid] for fid in resolved} == {"resolved"}
        gone = {row.name: row.gone_run for row in store.identities(include_gone=True)}
        assert gone["acme-crossaccount"] == newer.id
        later = scan({"aws": moto.settings()}, sample_registry(), store)
    assert not {f.id for f in later.findings} & resolved


def test_a_crash_is_one_line_exit_3_and_leaves_history_as_it_was(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_estate(moto)
    url = f"sqlite:///{tmp_path}/history.db"
    config = write_config(tmp_path, url, moto.settings())
    assert scan_cli(monkeypatch, config)[0].code == 0
    with Store(url) as store:
        before = {f.id: f.status for f in store.findings()}
    moto.seeder().user("newcomer", 300)  # a new finding: the store must insert it
    with refusing_writes(url, "findings"):
        crashed = run_cli(monkeypatch, "scan", "-c", str(config), "-f", "json")
    assert crashed.code == 3 and crashed.stdout == ""
    errors = [line for line in crashed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "internal error" in errors[0] and "disk full" in errors[0]
    assert "Traceback" not in crashed.stderr
    assert [status for _, status, _ in run_rows(url)] == ["complete", "failed"]
    with Store(url) as store:
        assert {f.id: f.status for f in store.findings()} == before
        assert "newcomer" not in {row.name for row in store.identities(include_gone=True)}
    assert scan_cli(monkeypatch, config)[0].code == 0  # mended: it works again
