"""Runs of the real CLI over a database, and what they left: for history tests of any connector."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.cli import Outcome, run_cli
from partner_nhi.store import Store

DEMO_REGISTRY = Path(__file__).parents[2] / "scanner" / "demo" / "registry.yaml"
FAST_RETRY = {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.02}
MISSING = object()

Restore = Callable[[], None]


def swap(record: dict[str, Any], key: str, value: object = MISSING) -> Restore:
    """Set (or, by default, remove) one field of a seeded record; return what puts it back."""
    before = record.get(key, MISSING)
    if value is MISSING:
        record.pop(key, None)
    else:
        record[key] = value

    def restore() -> None:
        if before is MISSING:
            record.pop(key, None)
        else:
            record[key] = before

    return restore


class Cli:
    """``partner-nhi scan`` with a config file naming the connectors' sections, a database and a
    JSON report; each run writes its own config and report."""

    def __init__(
        self, folder: Path, monkeypatch: pytest.MonkeyPatch, database: str, registry: Path = DEMO_REGISTRY
    ) -> None:
        self.folder, self.monkeypatch, self.database, self.registry = folder, monkeypatch, database, registry
        self.runs = 0

    def scan(self, connectors: dict[str, dict[str, Any]], *args: str) -> tuple[Outcome, dict[str, Any]]:
        self.runs += 1
        config = self.folder / f"config-{self.runs}.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "registry": str(self.registry),
                    "database": self.database,
                    "connectors": connectors,
                    "retry": FAST_RETRY,
                }
            )
        )
        report = self.folder / f"run-{self.runs}.json"
        report.unlink(missing_ok=True)
        outcome = run_cli(self.monkeypatch, "scan", "-c", str(config), "-f", "json", "-o", str(report), *args)
        return outcome, json.loads(report.read_text()) if report.exists() else {}


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {f["id"]: f["status"] for f in document["findings"]}


def gone(database: str) -> dict[str, str | None]:
    with Store(database) as store:
        return {row.name: row.gone_run for row in store.identities(include_gone=True)}


def unit(document: dict[str, Any], name: str, connector: str | None = None) -> dict[str, Any]:
    [scope] = [s for s in document["run"]["scopes"] if s["scanned"] and connector in (None, s["connector"])]
    return next(u for u in scope["units"] if u["resource_type"] == name)
