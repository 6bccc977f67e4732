"""What one run produced, in memory: scopes, judged identities, findings.

The outputs (table, json, csv, ocsf) and the store read these.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from partner_nhi.attribution import Attribution
from partner_nhi.connector import Scope, UnitStatus
from partner_nhi.coverage import UnitOutcome
from partner_nhi.records import Identity
from partner_nhi.severity import Severity


@dataclass
class ScopeResult:
    connector: str
    scope: Scope
    units: list[UnitOutcome]
    identities: list[Identity]
    api_calls: int = 0
    api_calls_by_operation: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # the scope as a whole (e.g. AssumeRole refused)
    identity_count: int = 0  # kept after the identities themselves are dropped from memory
    observed_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # when its listing began
    not_scanned: str | None = None  # why this run did not scan it (its findings are carried)
    superseded_by: str | None = None  # a run that observed this scope later committed first

    @property
    def status(self) -> UnitStatus:
        """Complete only if every unit is (an enrichment unit skipped for a stated reason aside);
        failed if nothing completed and something failed; skipped when not scanned at all."""
        if self.not_scanned is not None:
            return UnitStatus.SKIPPED
        statuses = {u.status for u in self.units if not (u.enrichment and u.status is UnitStatus.SKIPPED)}
        if not statuses or statuses == {UnitStatus.COMPLETE}:
            return UnitStatus.COMPLETE
        if statuses == {UnitStatus.SKIPPED}:
            return UnitStatus.SKIPPED
        if UnitStatus.COMPLETE not in statuses and UnitStatus.PARTIAL not in statuses:
            return UnitStatus.FAILED
        return UnitStatus.PARTIAL

    def complete_units(self) -> set[str]:
        return {u.resource_type for u in self.units if u.status is UnitStatus.COMPLETE}

    def summary_error(self) -> str | None:
        errors = [f"{u.resource_type}: {u.error}" for u in self.units if u.error]
        return self.not_scanned or self.error or ("; ".join(errors) if errors else None)

    @property
    def key(self) -> tuple[str, str]:
        return (self.connector, self.scope.id)


@dataclass(frozen=True)
class JudgedIdentity:
    connector: str
    identity: Identity
    attribution: Attribution


class AcceptedRisk(BaseModel):
    """The accepted-risk entry a run matched to a finding, as that run saw it (see
    :mod:`partner_nhi.suppressions`): the finding is suppressed while it has not expired."""

    model_config = ConfigDict(frozen=True)

    id: str  # the entry's id: stable while what it matches is unchanged
    justification: str
    approver: str
    expires: date
    expired: bool


class Finding(BaseModel):
    """One rule's finding on one identity or credential, as outputs and the store see it."""

    id: str
    rule: str
    severity: Severity
    connector: str
    provider: str
    scope: str
    identity: str  # native id
    identity_name: str
    identity_kind: str
    credential: str | None
    partner: str | None
    owner: str | None
    reason: str | None
    message: str
    remediation: str
    frameworks: dict[str, list[str]]
    evidence: dict[str, Any] = Field(default_factory=dict)
    units: list[str]  # coverage units whose completeness may resolve it; the identity's first
    status: str = "new"  # new | open | resolved
    carried: bool = False  # kept from an earlier run: not re-evaluated in this one
    first_seen_run: str | None = None
    suppression: AcceptedRisk | None = None  # the accepted risk this run matched, in force or expired

    @property
    def suppressed(self) -> bool:
        """An accepted risk in force: shown, but not counted for ``--fail-on``."""
        return self.suppression is not None and not self.suppression.expired


@dataclass
class RunResult:
    id: str
    command: str
    started: datetime
    finished: datetime | None = None
    scopes: list[ScopeResult] = field(default_factory=list)
    identities: list[JudgedIdentity] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    undetermined: dict[str, str] = field(default_factory=dict)  # finding id -> why evidence is missing
    error: str | None = None  # the run itself broke (an internal error, interrupted): it failed
    warnings: list[str] = field(default_factory=list)  # e.g. a scope configured twice (scanned once)
    shard: str | None = None  # "K/N" when this is one shard's part of a run
    # findings that count for --fail-on, by (status, severity): an accepted risk in force does not
    tally: Counter[tuple[str, Severity]] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)  # accepted-risk entry id -> findings it matched

    def holds_current_at_or_above(self, severity: Severity) -> bool:
        """A finding not resolved at or above ``severity`` (for ``--fail-on``)."""
        return any(status != "resolved" and found.rank >= severity.rank for status, found in self.tally)

    @property
    def status(self) -> str:
        scanned = [s.status for s in self.scopes if s.not_scanned is None]
        if self.shard is not None and not self.scopes and self.error is None:
            return "complete"  # a shard whose partition holds no scope has nothing to miss
        if self.error is not None or not scanned or all(s is UnitStatus.FAILED for s in scanned):
            return "failed"
        if len(scanned) == len(self.scopes) and all(s is UnitStatus.COMPLETE for s in scanned):
            return "complete"
        return "partial"
