"""A stored history of the scripted connector, with names a partner could choose to attack
the reports: markup for rich, HTML, Markdown, a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from helpers.builders import REGISTRY, sample_registry
from helpers.scripted import registered
from partner_nhi.config import Settings
from partner_nhi.engine import ScanRequest, run_scan
from partner_nhi.results import RunResult
from partner_nhi.store import Store

HOSTILE = {
    "html": 'acme-<img src=x onerror="alert(1)">',
    "markdown": "acme-[click](http://evil.example)|`x`*y*",
    "rich": "acme-[/bold][link=http://evil.example]z",
}
USERS = {
    "s1": {HOSTILE["html"]: 200, HOSTILE["markdown"]: 120, "acme-sync": 400, "internal-" + "a" * 60: 100},
    "s2": {HOSTILE["rich"]: 300, "plain-service": 10},
}


@dataclass(frozen=True)
class History:
    url: str
    registry: Path
    first: RunResult
    second: RunResult


def scan(store: Store, users: dict[str, dict[str, int]]) -> RunResult:
    settings = Settings(connectors={"scripted": {"users": users, "scopes": sorted(users)}})
    return run_scan(ScanRequest(settings, sample_registry(), ["scripted"]), store)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    """Two runs: in the second, one key was rotated (its finding resolves) and one user is gone."""
    with registered(tmp_path / "plugins"):
        url = f"sqlite:///{tmp_path}/history.db"
        registry = tmp_path / "registry.yaml"
        registry.write_text(yaml.safe_dump(REGISTRY))
        with Store(url) as store:
            first = scan(store, USERS)
            changed = {scope: dict(users) for scope, users in USERS.items()}
            changed["s1"]["acme-sync"] = 5
            del changed["s2"]["plain-service"]
            second = scan(store, changed)
        yield History(url, registry, first, second)
