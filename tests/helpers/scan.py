"""Run the engine in-process, the way the CLI does, for tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from partner_nhi.config import Settings
from partner_nhi.engine import ScanRequest, run_scan
from partner_nhi.registry import Registry
from partner_nhi.results import Finding, RunResult
from partner_nhi.store import Store

FAST_RETRY = {"attempts": 3, "initial_delay": 0.01, "max_delay": 0.05}


def scan(
    connectors: dict[str, dict[str, Any]],
    registry: Registry,
    store: Store | None,
    now: datetime | None = None,
) -> RunResult:
    settings = Settings(connectors=connectors, retry=FAST_RETRY)
    return run_scan(ScanRequest(settings, registry, sorted(connectors), now=now), store)


def by_rule(run: RunResult, rule: str) -> dict[str, Finding]:
    """Findings of one rule, keyed by identity name (plus credential id when set)."""
    return {f.identity_name + (f"/{f.credential}" if f.credential else ""): f for f in run.findings if f.rule == rule}
