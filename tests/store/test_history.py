"""Reconciliation as a pure function (SPEC §7): what a scope's observations do to history."""

from __future__ import annotations

import pytest

from helpers.builders import credential, identity, sample_registry
from partner_nhi.attribution import Attributor
from partner_nhi.history import (
    Fate,
    StoredFinding,
    StoredIdentity,
    carry_scope,
    fate_of_absent_finding,
    reconcile_scope,
)
from partner_nhi.results import Finding, JudgedIdentity
from partner_nhi.rules.model import Severity

UNITS = ["principals", "access-keys"]


@pytest.mark.parametrize(
    ("undetermined", "complete", "fate"),
    [
        (False, {"principals", "access-keys"}, Fate.RESOLVED),  # listed completely: the rule passes or it is gone
        (False, {"principals"}, Fate.CARRIED),  # the keys listing failed: not re-evaluated
        (True, {"principals", "access-keys"}, Fate.UNDETERMINED),  # last use unknown
        (False, set(), Fate.CARRIED),  # absent because the listing failed
        (False, {"access-keys"}, Fate.CARRIED),  # the identity listing failed
    ],
)
def test_fate(undetermined: bool, complete: set[str], fate: Fate) -> None:
    assert fate_of_absent_finding(UNITS, undetermined, complete) is fate


def test_no_units_recorded_is_never_resolved() -> None:
    assert fate_of_absent_finding([], False, {"principals"}) is Fate.CARRIED


def finding(fid: str, units: list[str] | None = None) -> Finding:
    return Finding(
        id=fid,
        rule="stale-identity",
        severity=Severity.LOW,
        connector="aws",
        provider="aws",
        scope="1",
        identity=f"arn:{fid}",
        identity_name=fid,
        identity_kind="aws-user",
        credential=None,
        partner=None,
        owner=None,
        reason=None,
        message="m",
        remediation="r",
        frameworks={},
        units=units or UNITS,
    )


def stored(fid: str, status: str = "open", units: list[str] | None = None) -> StoredFinding:
    return StoredFinding(fid, status, "run-0", units or UNITS, finding(fid, units).model_dump(mode="json"))


def judged(name: str) -> JudgedIdentity:
    record = identity(name, source="principals", credentials=(credential("AKIA1", source="access-keys"),))
    return JudgedIdentity("aws", record, Attributor(sample_registry()).attribute(record))


def test_new_open_resolved_and_carried_in_one_scope() -> None:
    history = {
        "seen-again": stored("seen-again"),
        "back-after-resolution": stored("back-after-resolution", status="resolved"),
        "passes-now": stored("passes-now"),
        "relied-on-a-failed-unit": stored("relied-on-a-failed-unit", units=["principals", "ssh-keys"]),
    }
    decision = reconcile_scope(
        "run-1",
        complete_units={"principals", "access-keys"},
        judged=[],
        findings=[finding("seen-again"), finding("back-after-resolution"), finding("first-time")],
        undetermined={},
        stored_findings=history,
        stored_identities={},
        incomplete={"ssh-keys": "ssh-keys failed: AccessDenied"},
    )
    shown = {f.id: f for f in decision.findings}
    assert {fid: (f.status, f.carried) for fid, f in shown.items()} == {
        "seen-again": ("open", False),
        "back-after-resolution": ("new", False),
        "first-time": ("new", False),
        "passes-now": ("resolved", False),
        "relied-on-a-failed-unit": ("open", True),
    }
    assert shown["seen-again"].first_seen_run == "run-0"
    assert shown["back-after-resolution"].first_seen_run == "run-1"
    assert shown["relied-on-a-failed-unit"].evidence["not_re_evaluated"] == "ssh-keys failed: AccessDenied"
    assert decision.inserted == {"first-time"}


def test_an_identity_is_gone_only_when_every_unit_that_lists_it_completed() -> None:
    seen = judged("seen")
    identities = [
        StoredIdentity("app", ["applications", "service-principals"], gone=False),  # its SP listing failed
        StoredIdentity("user", ["principals"], gone=False),
        StoredIdentity(seen.identity.id, ["principals"], gone=False),
        StoredIdentity("already-gone", ["principals"], gone=True),
        StoredIdentity("legacy-without-units", [], gone=False),
    ]
    decision = reconcile_scope(
        "run-1",
        complete_units={"applications", "principals"},
        judged=[seen],
        findings=[],
        undetermined={},
        stored_findings={},
        stored_identities={i.identity_id: i for i in identities},
        incomplete={"service-principals": "service-principals failed: 503"},
    )
    assert decision.gone == ["user"]


def test_an_undetermined_finding_stays_open_with_why() -> None:
    decision = reconcile_scope(
        "run-1",
        complete_units=set(UNITS),
        judged=[],
        findings=[],
        undetermined={"stale": "last use unknown: no P1 licence"},
        stored_findings={"stale": stored("stale")},
        stored_identities={},
        incomplete={},
    )
    [carried] = decision.findings
    assert (carried.status, carried.carried) == ("open", True)
    assert carried.evidence["not_re_evaluated"] == "last use unknown: no P1 licence"


def test_a_carried_scope_resolves_nothing_and_does_not_advance() -> None:
    decision = carry_scope({"a": stored("a"), "b": stored("b", status="resolved")}, "not scanned: discovery failed")
    assert [(f.id, f.status, f.carried) for f in decision.findings] == [("a", "open", True)]
    assert decision.findings[0].evidence["not_re_evaluated"] == "not scanned: discovery failed"
    assert decision.gone == [] and not decision.advances


def test_reconciliation_does_not_touch_its_inputs() -> None:
    seen = finding("seen-again")
    history = {"seen-again": stored("seen-again")}
    reconcile_scope("run-1", set(UNITS), [], [seen], {}, history, {}, {})
    assert seen.status == "new" and seen.first_seen_run is None
    assert history["seen-again"].record["status"] == "new"
