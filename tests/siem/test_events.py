"""The events: which finding changes make one (a pure decision), and what each says in OCSF,
validated against py-ocsf-models for every rule of the catalogue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from helpers.builders import NOW, credential, days_ago, identity, sample_registry
from helpers.siem import validate_event
from partner_nhi.attribution import Attributor
from partner_nhi.config import Settings
from partner_nhi.connector import Scope
from partner_nhi.engine import _judge
from partner_nhi.records import CredentialKind, Identity, LastUse
from partner_nhi.results import Finding, ScopeResult
from partner_nhi.rules.catalogue import RULES_BY_ID
from partner_nhi.siem.events import (
    Activity,
    FindingTimes,
    RunHealth,
    ScopeHealth,
    decide_changes,
    detection_finding,
    event_uid,
    fingerprint,
    remediation,
    scan_activity,
)

ESTATE = [
    identity("acme-sync", tags={}, credentials=(credential("AKIAOLD", created=200),)),  # partner offboarded
    identity("nobody", tags={}),  # no owner
    identity("leaver", tags={"owner": "carol@example.com"}),  # owner departed
    identity("idle", last_used=LastUse.used(days_ago(200))),
    identity("keys", credentials=(credential("AKIA1", used=200), credential("AKIA2"))),
    identity(
        "app",
        provider="azure",
        kind="azure-app",
        scope="tenant-1",
        id="00000000-0000-0000-0000-0000000000a1",
        credentials=(
            credential("s-expired", CredentialKind.CLIENT_SECRET, created=100, expires=-5),
            credential("s-soon", CredentialKind.CLIENT_SECRET, created=10, expires=10),
            credential("s-long", CredentialKind.CLIENT_SECRET, created=10, expires=700),
        ),
    ),
    identity(
        "sa",
        provider="gcp",
        kind="gcp-service-account",
        scope="proj-1",
        id="sa@proj-1.iam.gserviceaccount.com",
        tags={},
    ),
]


def judged(estate: list[Identity], days_later: int = 0, registry: Any = None) -> dict[str, Finding]:
    """The findings the engine raises on ``estate`` (``days_later`` than the builders' NOW)."""
    findings: dict[str, Finding] = {}
    attributor = Attributor(registry or sample_registry())
    for subject in estate:
        scope = ScopeResult("test", Scope("test", subject.scope), [], [subject])
        _, raised, _ = _judge(scope, attributor, Settings(), NOW + timedelta(days=days_later), set())
        findings.update((finding.id, finding) for finding in raised)
    return findings


def event_of(finding: Finding, activity: Activity = Activity.CREATE, status: str | None = "active") -> dict[str, Any]:
    times = FindingTimes(NOW, NOW - timedelta(days=3), NOW)
    return detection_finding(finding.model_dump(mode="json"), activity, event_uid("run-1", finding.id), times, status)


def every_rule(findings: dict[str, Finding]) -> list[Finding]:
    """The judged findings, plus one for each catalogue rule this estate does not raise (its
    metadata on a judged finding's shape): the event depends on a finding's content, not on
    how its rule decided."""
    raised = {finding.rule for finding in findings.values()}
    template = next(iter(findings.values()))
    made = [
        template.model_copy(
            update={
                "id": f"nhi-{rule.id}",
                "rule": rule.id,
                "severity": rule.severity,
                "remediation": rule.remediation,
                "frameworks": rule.frameworks,
            }
        )
        for rule in RULES_BY_ID.values()
        if rule.id not in raised
    ]
    return [*findings.values(), *made]


def test_every_rule_makes_a_valid_detection_finding() -> None:
    findings = every_rule(judged(ESTATE))
    assert {finding.rule for finding in findings} == set(RULES_BY_ID)
    for finding in findings:
        for activity in Activity:
            event = event_of(finding, activity)
            validate_event(event)
            assert event["finding_info"]["uid"] == finding.id and event["activity_name"] == activity.value
            assert event["finding_info"]["first_seen_time"] == int((NOW - timedelta(days=3)).timestamp() * 1000)
            standards = {check["standards"][0] for check in event["compliance"]["checks"]}
            assert standards == {"OWASP NHI Top 10 (2025)", "NIST CSF 2.0"}
            assert event["resources"][0]["uid"] == finding.identity
            assert event["cloud"]["account"]["uid"] == finding.scope


def test_the_resource_and_cloud_say_where_it_is() -> None:
    events = {f.identity_name: event_of(f) for f in judged(ESTATE).values()}
    assert events["acme-sync"]["cloud"] == {
        "provider": "AWS",
        "account": {"uid": "1", "name": "1", "type": "AWS Account", "type_id": 10},
    }
    assert events["acme-sync"]["resources"][0]["cloud_partition"] == "aws"
    assert events["app"]["cloud"]["provider"] == "Azure" and events["app"]["cloud"]["account"]["type"] == "M365 Tenant"
    assert events["sa"]["cloud"]["account"]["type"] == "GCP Project"
    owner = events["leaver"]["resources"][0]["owner"]
    assert owner["uid"] == "carol@example.com" and owner["email_addr"] == "carol@example.com"


def test_remediation_names_the_credential_the_partner_and_who_must_act() -> None:
    findings = judged(ESTATE)
    unrotated = next(f for f in findings.values() if f.rule == "unrotated-credential" and f.credential == "AKIAOLD")
    orphan = next(f for f in findings.values() if f.reason == "partner-offboarded")
    nobody = next(f for f in findings.values() if f.reason == "no-owner")
    text = remediation(unrotated.model_dump(mode="json"))
    assert "credential AKIAOLD of aws-user acme-sync (arn:aws:iam::1:user/acme-sync) in aws 1" in text
    assert "Partner acme is offboarded" in remediation(orphan.model_dump(mode="json"))
    assert "Accountable owner: alice@example.com." in text  # the partner's sponsor
    assert "No accountable owner" in remediation(nobody.model_dump(mode="json"))


def test_the_fingerprint_does_not_move_with_the_clock() -> None:
    today, tomorrow = judged(ESTATE), judged(ESTATE, days_later=1)
    assert set(today) == set(tomorrow)
    moved = [fid for fid in today if today[fid].message != tomorrow[fid].message]
    assert moved  # the messages say "200 days", then "201 days"...
    for fid in today:  # ...but no finding's fingerprint changes
        assert fingerprint(today[fid].model_dump(mode="json"), "active") == fingerprint(
            tomorrow[fid].model_dump(mode="json"), "active"
        ), today[fid].rule


def test_what_makes_an_update() -> None:
    finding = next(f for f in judged(ESTATE).values() if f.credential == "AKIAOLD")
    content = finding.model_dump(mode="json")
    base = fingerprint(content, "active")
    assert fingerprint(content, "inactive") != base  # the credential's status
    assert content["severity"] == "high" and fingerprint({**content, "severity": "critical"}, "active") != base
    assert fingerprint({**content, "owner": "bob@example.com"}, "active") != base
    assert fingerprint({**content, "partner": None}, "active") != base
    assert fingerprint({**content, "evidence": {**content["evidence"], "days": 30}}, "active") != base  # threshold
    assert fingerprint({**content, "suppressed": True}, "active") != base  # an accepted risk, when it lands
    assert fingerprint({**content, "message": "other words"}, "active") == base


def test_a_person_signing_in_again_is_not_an_update() -> None:
    """human-use-of-nhi names the password's last use: it moves each time the person signs in."""
    content = next(iter(judged(ESTATE).values())).model_dump(mode="json")
    evidence = {"password_last_used": "2026-11-01T08:00:00+00:00", "api_keys": ["AKIA1"], "days": 90}
    content = {**content, "rule": "human-use-of-nhi", "evidence": evidence}
    base = fingerprint(content, "active")
    later = {**evidence, "password_last_used": "2026-11-20T09:30:00+00:00"}
    assert fingerprint({**content, "evidence": later}, "active") == base
    assert fingerprint({**content, "evidence": {**evidence, "api_keys": ["AKIA1", "AKIA2"]}}, "active") != base


def stored(finding: Finding, **update: Any) -> Finding:
    return finding.model_copy(update=update)


def test_decide_changes() -> None:
    findings = list(judged(ESTATE).values())[:6]
    new, seen, changed, resolved, carried, unannounced = findings
    status = {(f.identity, f.credential): "active" for f in findings if f.credential}
    announced = {f.id: fingerprint(f.model_dump(mode="json"), status.get((f.identity, f.credential))) for f in findings}
    announced[changed.id] = "an older fingerprint"
    del announced[unannounced.id]
    decision = [
        stored(new, status="new"),
        stored(seen, status="open"),
        stored(changed, status="open"),
        stored(resolved, status="resolved"),
        stored(carried, status="open", carried=True),
        stored(unannounced, status="open"),
    ]
    changes = {change.finding.id: change.activity for change in decide_changes(decision, announced, status)}
    assert changes == {
        new.id: Activity.CREATE,
        changed.id: Activity.UPDATE,
        resolved.id: Activity.CLOSE,
        unannounced.id: Activity.CREATE,  # open before the feed existed: the SIEM never heard of it
    }


def test_event_uids_are_unique_per_event_and_stable() -> None:
    assert event_uid("run-1", "nhi-a") == event_uid("run-1", "nhi-a")
    assert len({event_uid(run, fid) for run in ("run-1", "run-2") for fid in ("nhi-a", "nhi-b")}) == 4


@pytest.mark.parametrize(
    ("activity", "suppressed", "status"),
    [
        (Activity.CREATE, False, ("New", 1)),
        (Activity.UPDATE, True, ("Suppressed", 3)),
        (Activity.CLOSE, True, ("Resolved", 4)),
    ],
)
def test_status(activity: Activity, suppressed: bool, status: tuple[str, int]) -> None:
    finding = next(iter(judged(ESTATE).values()))
    content = {**finding.model_dump(mode="json"), "suppressed": suppressed}
    event = detection_finding(content, activity, "uid", FindingTimes(NOW, NOW, NOW))
    assert (event["status"], event["status_id"]) == status


@pytest.mark.parametrize(
    ("status", "error", "activity", "severity"),
    [
        ("complete", None, "Completed", "Informational"),
        ("partial", None, "Completed", "Medium"),
        ("failed", "internal error: boom", "Error", "High"),
        ("failed", "interrupted", "Cancelled", "High"),
    ],
)
def test_the_run_health_names_every_scope_it_could_not_look_at(
    status: str, error: str | None, activity: str, severity: str
) -> None:
    scopes = [ScopeHealth("aws", "111", "complete", None)]
    if status != "complete":
        scopes += [
            ScopeHealth("aws", "222", "failed", "AccessDenied: sts:AssumeRole"),
            ScopeHealth("gcp", "p", "partial", "keys"),
        ]
    health = RunHealth("run-9", "scan", status, error, NOW, NOW + timedelta(minutes=2), scopes, 40, 7, 2)
    event = scan_activity(health, event_uid("run-9", "run-health"), NOW)
    validate_event(event)
    assert (event["activity_name"], event["severity"]) == (activity, severity)
    assert event["duration"] == 120_000 and event["total"] == 40 and event["num_detections"] == 7
    if status == "complete":
        assert event["status"] == "Success" and event["unmapped"]["incomplete_scopes"] == []
        return
    assert event["status"] == "Failure" and event["num_skipped_items"] == 2
    assert "aws:222 failed (AccessDenied: sts:AssumeRole)" in event["message"] and "gcp:p partial" in event["message"]
    assert [s["scope"] for s in event["unmapped"]["incomplete_scopes"]] == ["222", "p"]
