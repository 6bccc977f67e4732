"""One run split across processes: a stable partition of the scopes, and the sharded run
equal to the unsharded one on the real PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.builders import REGISTRY
from helpers.cli import run_cli
from helpers.databases import run_rows
from helpers.scripted import registered
from partner_nhi.errors import ConfigError
from partner_nhi.shards import Shard, combined_status
from partner_nhi.store import Store

TESTS = Path(__file__).parents[1]
ESTATE = {f"account-{n}": {f"user-{n}-a": 200, f"user-{n}-b": 20 + n} for n in range(8)}


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


def test_every_scope_belongs_to_exactly_one_shard() -> None:
    scopes = [("aws", f"{n:012d}") for n in range(500)] + [("gcp", f"project-{n}") for n in range(500)]
    for count in range(1, 6):
        owners = [[k for k in range(count) if Shard(k, count).owns(*scope)] for scope in scopes]
        assert all(len(found) == 1 for found in owners)
        sizes = [sum(1 for found in owners if found == [k]) for k in range(count)]
        assert min(sizes) > len(scopes) / count * 0.8  # spread evenly, not all in one


def test_the_partition_is_the_documented_formula() -> None:
    for connector, scope in [("aws", "111122223333"), ("azure", "0b0a4b2c-1111"), ("gcp", "corp-prod")]:
        documented = int.from_bytes(hashlib.sha256(f"{connector}:{scope}".encode()).digest()[:8], "big") % 7
        assert [k for k in range(7) if Shard(k, 7).owns(connector, scope)] == [documented]


@pytest.mark.parametrize("text", ["3/3", "-1/2", "1", "a/b", "0/0"])
def test_a_bad_shard_is_bad_input(text: str) -> None:
    with pytest.raises(ConfigError, match="--shard"):
        Shard.parse(text)


@pytest.mark.parametrize(
    ("parts", "expected", "overdue", "status"),
    [
        (["complete", "complete", "complete"], 3, False, "complete"),
        (["complete", "complete"], 3, False, "running"),
        (["complete", "complete"], 3, True, "partial"),  # a shard never reported: never complete
        (["complete", "partial", "complete"], 3, False, "partial"),
        (["failed", "failed"], 2, False, "failed"),
    ],
)
def test_a_sharded_runs_status(parts: list[str], expected: int, overdue: bool, status: str) -> None:
    assert combined_status(parts, expected, overdue) == status


def write_config(folder: Path, url: str, **extra: Any) -> Path:
    registry = folder / "registry.yaml"
    registry.write_text(yaml.safe_dump(REGISTRY))
    config = folder / "config.yaml"
    scripted = {"users": ESTATE, "scopes": sorted(ESTATE)}
    config.write_text(
        yaml.safe_dump({"registry": str(registry), "database": url, "connectors": {"scripted": scripted}, **extra})
    )
    return config


def shard_processes(plugin: Path, config: Path, run_id: str, shards: list[int], count: int) -> list[int]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin), str(TESTS)])}
    entry = "from partner_nhi.cli import main; main()"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", entry, "scan", "-c", str(config), "--shard", f"{k}/{count}", "--run-id", run_id],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for k in shards
    ]
    codes = []
    for process in processes:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors.decode()
        codes.append(process.returncode)
    return codes


def document(monkeypatch: pytest.MonkeyPatch, config: Path, *args: str) -> dict[str, Any]:
    done = run_cli(monkeypatch, "scan", "-c", str(config), "-f", "json", *args)
    return dict(json.loads(done.stdout))


def test_a_sharded_run_equals_the_unsharded_one(
    plugin: Path, tmp_path: Path, new_postgres_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    unsharded_url, sharded_url = new_postgres_database(), new_postgres_database()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    single = document(monkeypatch, write_config(tmp_path / "a", unsharded_url))
    config = write_config(tmp_path / "b", sharded_url)
    assert shard_processes(plugin, config, "nightly-2026-12-01", [0, 1, 2], 3) == [0, 0, 0]
    with Store(sharded_url) as store:
        sharded = store.document("nightly-2026-12-01")
        identities = [entry["id"] for entry in sharded.identities()]
        findings = {(entry["id"], entry["status"]) for entry in sharded.findings()}
    assert sharded.run["status"] == "complete"
    assert sorted(scope["scope"] for scope in sharded.run["scopes"]) == sorted(ESTATE)
    assert identities == [entry["id"] for entry in single["identities"]]
    assert findings == {(entry["id"], entry["status"]) for entry in single["findings"]}
    assert len(findings) == len(ESTATE)  # one unrotated key per account


def test_a_shard_that_never_reports_leaves_the_run_partial(plugin: Path, tmp_path: Path, postgres_url: str) -> None:
    waiting = write_config(tmp_path, postgres_url)
    assert shard_processes(plugin, waiting, "run-waiting", [0, 1], 3) == [0, 0]
    assert [(run_id, status) for run_id, status, _ in run_rows(postgres_url)] == [("run-waiting", "running")]
    overdue = write_config(tmp_path, postgres_url, shard_deadline_minutes=0)
    assert shard_processes(plugin, overdue, "run-overdue", [0, 1], 3) == [0, 0]
    rows = {run_id: (status, error) for run_id, status, error in run_rows(postgres_url)}
    status, error = rows["run-overdue"]
    assert status == "partial" and error == "shard(s) 2 never reported before the deadline"
    assert rows["run-waiting"][0] == "partial"  # settled by the later scan: its deadline passed too


def test_shards_are_refused_on_sqlite(plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/s.db")
    refused = run_cli(monkeypatch, "scan", "-c", str(config), "--shard", "0/2", "--run-id", "r1")
    assert refused.code == 2 and "needs a PostgreSQL store" in refused.stderr
    no_id = run_cli(monkeypatch, "scan", "-c", str(config), "--shard", "0/2")
    assert no_id.code == 2 and "--shard needs --run-id" in no_id.stderr
