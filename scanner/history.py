"""Coverage-gated reconciliation (SPEC §7): the one place that decides what a scope's
observations do to history. Pure: stored state and this run's observations in, a
:class:`ScopeDecision` out; the store only persists it.

A finding seen again is ``open``; one seen for the first time (or again after being
resolved) is ``new``. A finding not seen again is ``resolved`` only when every coverage
unit it relied on completed in this run (the listing that proves its identity exists,
in each of its forms, and the listing of its credential); otherwise it is carried over,
still open. An identity is gone only when every unit that lists it completed without
it. An API error is never an empty list, and an older observation never overwrites a
newer one: a scope a newer run already observed, or one this run did not scan, is
carried whole, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from partner_nhi.results import Finding, JudgedIdentity


class Fate(StrEnum):
    RESOLVED = "resolved"
    CARRIED = "carried"  # coverage incomplete: not re-evaluated
    UNDETERMINED = "undetermined"  # re-evaluated, but the evidence is missing


def fate_of_absent_finding(units: Iterable[str], undetermined: bool, complete_units: set[str]) -> Fate:
    """What happens to an open finding the rules did not raise this run."""
    needed = list(units)
    if not needed or not all(unit in complete_units for unit in needed):
        return Fate.CARRIED
    return Fate.UNDETERMINED if undetermined else Fate.RESOLVED


@dataclass(frozen=True)
class StoredFinding:
    id: str
    status: str  # open | resolved
    first_seen_run: str
    units: list[str]
    record: dict[str, Any]


@dataclass(frozen=True)
class StoredIdentity:
    identity_id: str
    units: list[str]
    gone: bool


@dataclass(frozen=True)
class ScopeDecision:
    """What one scope's observations do to history, and what the run document shows."""

    findings: list[Finding] = field(default_factory=list)  # statuses set; carried ones flagged
    inserted: set[str] = field(default_factory=set)  # finding ids with no row yet
    gone: list[str] = field(default_factory=list)  # identity ids a complete listing no longer has
    identities: list[JudgedIdentity] = field(default_factory=list)  # seen: to insert or update
    advances: bool = True  # this observation becomes the scope's latest
    superseded_by: str | None = None  # a run that had observed the scope later committed first


def reconcile_scope(
    run_id: str,
    complete_units: set[str],
    judged: list[JudgedIdentity],
    findings: list[Finding],
    undetermined: Mapping[str, str],
    stored_findings: Mapping[str, StoredFinding],
    stored_identities: Mapping[str, StoredIdentity],
    incomplete: Mapping[str, str],
) -> ScopeDecision:
    """Fold one scanned scope into its history. ``incomplete`` describes each unit of the
    scope that did not complete: the reason a finding relying on it is carried."""
    shown: list[Finding] = []
    inserted: set[str] = set()
    for finding in findings:
        row = stored_findings.get(finding.id)
        if row is None:
            inserted.add(finding.id)
        again = row is not None and row.status == "open"
        shown.append(
            finding.model_copy(
                update={
                    "status": "open" if again else "new",
                    "first_seen_run": row.first_seen_run if row is not None and again else run_id,
                    "carried": False,
                }
            )
        )
    current = {f.id for f in findings}
    for row in stored_findings.values():
        if row.status != "open" or row.id in current:
            continue
        fate = fate_of_absent_finding(row.units, row.id in undetermined, complete_units)
        if fate is Fate.RESOLVED:
            shown.append(_from_row(row, status="resolved"))
        else:
            why = undetermined.get(row.id) if fate is Fate.UNDETERMINED else None
            shown.append(_carried(row, why or _not_complete(row.units, complete_units, incomplete)))
    seen = {j.identity.id for j in judged}
    gone = [
        stored.identity_id
        for stored in stored_identities.values()
        if not stored.gone
        and stored.identity_id not in seen
        and stored.units
        and all(unit in complete_units for unit in stored.units)
    ]
    return ScopeDecision(findings=shown, inserted=inserted, gone=gone, identities=judged)


def carry_scope(
    stored_findings: Mapping[str, StoredFinding], reason: str, superseded_by: str | None = None
) -> ScopeDecision:
    """A scope whose observations may not change history (not scanned, or older than what is
    stored): its open findings appear as carried, with the reason; nothing is resolved."""
    carried = [_carried(row, reason) for row in stored_findings.values() if row.status == "open"]
    return ScopeDecision(findings=carried, advances=False, superseded_by=superseded_by)


def retire_scope(
    stored_findings: Mapping[str, StoredFinding], stored_identities: Mapping[str, StoredIdentity], note: str
) -> ScopeDecision:
    """A scope an operator removed on purpose: its open findings resolve with ``note`` as the
    evidence, its identities are gone. No listing says so: the operator's record does."""
    resolved = [
        _from_row(row, status="resolved").model_copy(
            update={"evidence": {**row.record["evidence"], "resolved_by": note}}
        )
        for row in stored_findings.values()
        if row.status == "open"
    ]
    gone = [identity.identity_id for identity in stored_identities.values() if not identity.gone]
    return ScopeDecision(findings=resolved, gone=gone)


def _not_complete(units: list[str], complete_units: set[str], incomplete: Mapping[str, str]) -> str:
    missing = [unit for unit in units if unit not in complete_units]
    described = [incomplete.get(unit, f"{unit}: not listed in this run") for unit in missing]
    return "; ".join(described) or "coverage incomplete in this run"


def _from_row(row: StoredFinding, status: str) -> Finding:
    """A stored finding as this run shows it: which risk was accepted is each run's own decision."""
    finding = Finding.model_validate(row.record)
    update = {"status": status, "carried": False, "first_seen_run": row.first_seen_run, "suppression": None}
    return finding.model_copy(update=update)


def _carried(row: StoredFinding, reason: str) -> Finding:
    finding = _from_row(row, status="open")
    evidence = {**finding.evidence, "not_re_evaluated": reason}
    return finding.model_copy(update={"carried": True, "evidence": evidence})
