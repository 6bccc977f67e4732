"""What the engine and store guarantee whatever the cloud (the foundation issue): no
malformed record, failed listing, failed discovery, removed scope, overlapping run, crash
or interrupt can resolve a finding that was not seen, or leave a run ``running``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.builders import REGISTRY, sample_registry
from helpers.cli import run_cli
from helpers.databases import refusing_writes, run_rows
from helpers.scripted import registered
from partner_nhi.config import Settings
from partner_nhi.engine import ScanRequest, run_scan
from partner_nhi.results import RunResult
from partner_nhi.store import Store

TESTS = Path(__file__).parents[1]
FAST_RETRY = {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.02}
ESTATE = {"s1": {"old": 200, "fresh": 10}}  # "old" holds an unrotated key


@pytest.fixture(autouse=True)
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


def scan(store: Store, **settings: Any) -> RunResult:
    config = Settings(connectors={"scripted": {"users": ESTATE, **settings}}, retry=FAST_RETRY)
    return run_scan(ScanRequest(config, sample_registry(), ["scripted"]), store)


def states(run: RunResult) -> dict[str, tuple[str, bool]]:
    return {f.identity_name: (f.status, f.carried) for f in run.findings}


def test_a_scope_whose_collection_raised_resolves_nothing(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        first = scan(store)
        assert states(first) == {"old": ("new", False)}
        broken = scan(store, raise_after_listing=True)
        assert broken.status == "partial"
        [scope] = broken.scopes
        assert {u.status.value for u in scope.units} == {"partial"}  # complete units downgraded
        assert states(broken) == {"old": ("open", True)}
        assert [row.gone_run for row in store.identities(include_gone=True)] == [None, None]
        mended = scan(store)
        assert states(mended) == {"old": ("open", False)}
        assert mended.findings[0].id == first.findings[0].id


def test_a_malformed_record_costs_that_record_not_the_listing(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        first = scan(store, users={"s1": {"old": 200, "older": 300}})
        run = scan(store, users={"s1": {"old": 200, "older": 300}}, malformed=["older"])
        assert run.status == "partial"
        users = next(u for u in run.scopes[0].units if u.resource_type == "users")
        assert users.status.value == "partial" and users.items_failed == 1
        assert users.error == "malformed record 'older': field 'created_days': missing"
        assert states(run) == {"old": ("open", False), "older": ("open", True)}  # kept and judged / carried
        assert {j.identity.name for j in run.identities} == {"old"}
        assert [row.gone_run for row in store.identities(include_gone=True)] == [None, None]
        mended = scan(store, users={"s1": {"old": 200, "older": 300}})
        assert {f.id for f in mended.findings} == {f.id for f in first.findings}
        assert {f.status for f in mended.findings} == {"open"}


def test_an_identity_claiming_another_scope_is_rejected(tmp_path: Path) -> None:
    from helpers.scripted import ScriptedConnector
    from partner_nhi.connector import Scope
    from partner_nhi.coverage import RetryPolicy
    from partner_nhi.engine import _scan_scope
    from partner_nhi.records import Identity

    class Confused(ScriptedConnector):
        def collect(self, scope: Scope, units: Any, calls: Any) -> list[Identity]:
            listed = super().collect(scope, units, calls)
            return [listed[0].model_copy(update={"scope": "elsewhere"}), *listed[1:]]

    result = _scan_scope(Confused({"users": ESTATE}), Scope("scripted", "s1"), RetryPolicy(1), threading.Event())
    assert [i.name for i in result.identities] == ["fresh"]
    users = next(u for u in result.units if u.resource_type == "users")
    assert users.status.value == "partial" and "names 'elsewhere'" in (users.error or "")


def test_failed_discovery_still_scans_configured_scopes_and_carries_the_rest(tmp_path: Path) -> None:
    estate = {"s1": {"old": 200}, "found": {"partner-key": 300}}
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        first = scan(store, users=estate, discovered=["found"])
        assert states(first) == {"old": ("new", False), "partner-key": ("new", False)}
        run = scan(store, users=estate, discovered=["found"], fail_discovery=True)
        assert run.status == "partial"
        by_scope = {s.scope.id: s for s in run.scopes}
        assert by_scope["*"].units[0].error == "PermissionError: organizations:ListAccounts denied"
        assert by_scope["s1"].status.value == "complete"  # the configured scope was scanned
        assert by_scope["found"].not_scanned and "discovery failed" in by_scope["found"].not_scanned
        assert states(run) == {"old": ("open", False), "partner-key": ("open", True)}
        carried = next(f for f in run.findings if f.identity_name == "partner-key")
        assert "discovery failed" in carried.evidence["not_re_evaluated"]
        assert all(row.gone_run is None for row in store.identities(include_gone=True))


def test_a_removed_scope_is_carried_until_retired_on_purpose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    estate = {"s1": {"old": 200}, "s2": {"gone-with-it": 300}}
    url = f"sqlite:///{tmp_path}/s.db"
    with Store(url) as store:
        scan(store, users=estate, scopes=["s1", "s2"])
        run = scan(store, users=estate, scopes=["s1"])
        assert run.status == "partial"
        assert states(run)["gone-with-it"] == ("open", True)
        [not_scanned] = [s for s in run.scopes if s.not_scanned]
        assert "partner-nhi scopes retire scripted s2" in not_scanned.not_scanned
    retired = run_cli(monkeypatch, "scopes", "retire", "scripted", "s2", "--reason", "account closed", "--db", url)
    assert retired.code == 0 and "1 open findings resolved" in retired.stdout
    with Store(url) as store:
        resolved = store.findings(status="resolved")
        assert [f.identity_name for f in resolved] == ["gone-with-it"]
        assert (
            store.findings(run_id=store.latest_run_id(), status="resolved")[0].evidence.get("not_re_evaluated")
            == "scope retired by an operator: account closed"
        )
        after = scan(store, users=estate, scopes=["s1"])
        assert after.status == "complete"
        assert states(after) == {"old": ("open", False)}
    unknown = run_cli(monkeypatch, "scopes", "retire", "scripted", "nope", "--reason", "x", "--db", url)
    assert unknown.code == 2 and "no scope scripted:nope" in unknown.stderr


def test_a_scope_configured_twice_is_scanned_once(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        run = scan(store, scopes=["s1", "s1"])
    assert run.status == "complete"
    assert [s.scope.id for s in run.scopes] == ["s1"]
    assert run.warnings == ["scripted scope s1 is configured more than once: scanned once"]
    assert len(run.findings) == len({f.id for f in run.findings}) == 1


def test_an_older_listing_committed_last_does_not_undo_a_newer_one(database_url: str, tmp_path: Path) -> None:
    hold = tmp_path / "release"
    with Store(database_url) as store:
        scan(store)  # "old" has an unrotated key: open
    older: list[RunResult] = []

    def slow_run() -> None:  # its listing begins now, sees the old key, and commits last
        with Store(database_url) as store:
            older.append(scan(store, hold_file=str(hold)))

    thread = threading.Thread(target=slow_run)
    thread.start()
    time.sleep(0.3)
    with Store(database_url) as store:  # meanwhile the key is rotated and the user "fresh" deleted
        newer = scan(store, users={"s1": {"old": 1}})
    assert states(newer) == {"old": ("resolved", False)}
    hold.touch()
    thread.join(timeout=30)
    [stale] = older
    assert stale.scopes[0].superseded_by == newer.id
    assert states(stale) == {}  # nothing of its older view is shown as current
    with Store(database_url) as store:
        assert [f.status for f in store.findings()] == ["resolved"]
        gone = {row.name: row.gone_run for row in store.identities(include_gone=True)}
        assert gone == {"old": None, "fresh": newer.id}
        later = scan(store, users={"s1": {"old": 1}})
        assert states(later) == {}


def test_a_crash_records_the_run_failed_and_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    config = write_config(tmp_path, url, {"users": ESTATE})
    assert run_cli(monkeypatch, "scan", "-c", str(config), "-f", "json").code == 0
    grown = write_config(tmp_path, url, {"users": {"s1": {"old": 200, "newcomer": 300}}})
    with refusing_writes(url, "findings"):
        crashed = run_cli(monkeypatch, "scan", "-c", str(grown), "-f", "json")
        verbose = run_cli(monkeypatch, "scan", "-c", str(grown), "-f", "json", "-v")
    assert (crashed.code, verbose.code) == (3, 3)
    assert "Traceback" not in crashed.stderr and "Traceback" in verbose.stderr
    assert "internal error" in crashed.stderr and "disk full" in crashed.stderr
    assert [(status, "disk full" in (error or "")) for _, status, error in run_rows(url)] == [
        ("complete", False),
        ("failed", True),
        ("failed", True),
    ]
    with Store(url) as store:  # history as the first run left it
        assert [(f.identity_name, f.status) for f in store.findings()] == [("old", "open")]
    assert run_cli(monkeypatch, "scan", "-c", str(grown), "-f", "json").code == 0  # mended: works again


def test_ctrl_c_records_the_run_failed_and_exits_130(tmp_path: Path, plugin: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    hold = tmp_path / "never"
    config = write_config(tmp_path, url, {"users": ESTATE, "hold_file": str(hold)})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin), str(TESTS)])}
    process = subprocess.Popen(
        [sys.executable, "-c", "from partner_nhi.cli import main; main()", "scan", "-c", str(config), "-f", "json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not [r for r in safe_rows(url) if r[1] == "running"]:
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()  # never leave it behind, whatever failed above
        process.wait()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert [(status, error) for _, status, error in run_rows(url)] == [("failed", "interrupted")]


def safe_rows(url: str) -> list[tuple[str, str, str | None]]:
    try:
        return run_rows(url)
    except Exception:  # the schema is not there yet
        return []


def write_config(folder: Path, url: str, scripted: dict[str, Any]) -> Path:
    registry = folder / "registry.yaml"
    registry.write_text(yaml.safe_dump(REGISTRY))
    config = folder / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {"registry": str(registry), "database": url, "connectors": {"scripted": scripted}, "retry": FAST_RETRY}
        )
    )
    return config
