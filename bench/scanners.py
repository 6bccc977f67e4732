"""partner-nhi as the benchmark runs it: the real CLI in a process of its own, with a
SQLite store file and a JSON report file, so the store and the report are measured
with the scan."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from aws_estate import CATEGORIES
from measure import EstateServer, Measured

PARTNER_NHI = Path(sys.executable).with_name("partner-nhi")
THRESHOLDS = {"stale-identity": 90, "stale-credential": 90, "unrotated-credential": 90}
REGISTRY = {
    "version": 1,
    "owners": [{"id": "owner@corp.example", "name": "Bench Owner", "status": "active"}],
    "partners": [
        {
            "id": "bench-partner",
            "name": "Bench Partner",
            "status": "active",
            "sponsor": "owner@corp.example",
            "match": {
                "aws_account_ids": ["111122223333"],
                "azure_tenant_ids": ["9a7e0c1d-0000-4000-8000-0000000a4c3e"],
            },
        }
    ],
}


@dataclass
class Scan:
    measured: Measured
    identities: int
    findings: Counter[str]  # by rule
    database_mb: float
    report_mb: float
    status: str
    report: Path


def scan_estate(
    estate: EstateServer,
    cloud: str,
    workdir: Path,
    timeout: float,
    concurrency: int = 8,
    wrap: list[str] | None = None,
) -> Scan:
    """``partner-nhi scan`` of ``estate`` (``wrap``: a profiler's argv before the command)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "registry.yaml").write_text(yaml.safe_dump(REGISTRY))
    config = {
        "registry": "registry.yaml",
        "concurrency": concurrency,
        "thresholds": {"default": THRESHOLDS},
        "connectors": {cloud: estate.settings},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    database, report = workdir / "store.db", workdir / "report.json"
    for stale in (database, report):
        stale.unlink(missing_ok=True)
    argv = [
        *(wrap or []),
        str(PARTNER_NHI),
        "scan",
        *("-c", str(workdir / "config.yaml"), "--connector", cloud, "-f", "json"),
        *("-o", str(report), "--db", f"sqlite:///{database}"),
    ]
    measured = estate.run(argv, estate.environ, workdir / "scan.log", timeout)
    if measured.exit_code not in (0, 3):
        raise RuntimeError(f"partner-nhi scan exited {measured.exit_code}: see {workdir / 'scan.log'}")
    document = json.loads(report.read_text())
    return Scan(
        measured,
        len(document["identities"]),
        Counter(finding["rule"] for finding in document["findings"]),
        _megabytes(database),
        _megabytes(report),
        document["run"]["status"],
        report,
    )


def _megabytes(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6  # with -wal, -shm


def user_findings(report: Path) -> dict[str, set[str]]:
    """Users with an access key flagged, by category (:data:`aws_estate.CATEGORIES`), from a
    partner-nhi JSON report; a stale key is "never_used" when its message says so."""
    rules = {
        "unrotated-credential": "unrotated",
        "stale-credential": "unused",
        "multiple-active-credentials": "doubled",
    }
    document: dict[str, Any] = json.loads(report.read_text())
    access_keys = {c["id"] for i in document["identities"] for c in i["credentials"] if c["kind"] == "access-key"}
    found: dict[str, set[str]] = {category: set() for category in CATEGORIES}
    for finding in document["findings"]:
        category = rules.get(finding["rule"])
        about_keys = finding["credential"] in access_keys or finding["rule"] == "multiple-active-credentials"
        if category and finding["identity_kind"] == "aws-user" and about_keys:
            never = category == "unused" and "never used" in finding["message"]
            found["never_used" if never else category].add(finding["identity_name"])
    return found
