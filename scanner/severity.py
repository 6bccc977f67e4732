"""Severity of a finding: a module of its own, so the command line can name it without
loading the rule catalogue (``partner-nhi --help`` stays fast)."""

from __future__ import annotations

from enum import StrEnum


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
