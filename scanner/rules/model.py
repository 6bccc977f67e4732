"""What a rule reads and what it says."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from partner_nhi.attribution import Attribution
from partner_nhi.records import Identity
from partner_nhi.severity import Severity

__all__ = ["Hit", "RuleInput", "Severity", "Undetermined", "Verdict"]


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
