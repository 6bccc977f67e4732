"""What a rule reads and what it says."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from partner_nhi.attribution import Attribution
from partner_nhi.records import Identity


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    def raised(self, steps: int) -> Severity:
        return list(Severity)[min(self.rank + steps, len(Severity) - 1)]


@dataclass(frozen=True)
class RuleInput:
    identity: Identity
    attribution: Attribution
    thresholds: dict[str, int]  # days, by rule id, already resolved for provider and partner
    now: datetime


@dataclass(frozen=True)
class Hit:
    """The rule fires."""

    message: str
    credential: str | None = None
    reason: str | None = None
    severity: Severity | None = None  # overrides the rule's default (e.g. by reason)
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Undetermined:
    """The evidence is missing (last use unknown): neither fires nor passes."""

    why: str
    credential: str | None = None


Verdict = Hit | Undetermined
