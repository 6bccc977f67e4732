"""`runs`, `identities`, `report --format json` and `findings`: history read back, never written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from helpers.cli import run_cli
from helpers.hostile import HOSTILE, History


def test_runs_lists_history_newest_first_with_counts(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = run_cli(monkeypatch, "runs", "--db", history.url, "--format", "json")
    assert outcome.code == 0, outcome.stderr
    newest, oldest = json.loads(outcome.stdout)
    assert (newest["id"], oldest["id"]) == (history.second.id, history.first.id)
    # 5 keys over 90 days and 4 identities of an offboarded partner; then one key rotated
    assert oldest["findings"] == {"new": 9} and oldest["identities"] == 6
    assert newest["findings"] == {"open": 8, "resolved": 1} and newest["identities"] == 5
    assert newest["scopes"] == {"complete": 2} and newest["status"] == "complete"
    assert 0 < newest["duration_seconds"] < 60
    table = run_cli(monkeypatch, "runs", "--db", history.url, "--format", "table")
    assert history.second.id[:8] in table.stdout and "0/8/1" in table.stdout and "9/0/0" in table.stdout


def test_identities_filter_as_the_run_saw_them(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    def names(*args: str) -> set[str]:
        outcome = run_cli(monkeypatch, "identities", "--db", history.url, "--format", "json", *args)
        assert outcome.code == 0, outcome.stderr
        return {entry["name"] for entry in json.loads(outcome.stdout)}

    assert names("--partner", "acme") == {HOSTILE["html"], HOSTILE["markdown"], HOSTILE["rich"], "acme-sync"}
    assert names("--owner", "ALICE@example.com") == names() and len(names()) == 5
    assert names("--owner", "bob@example.com") == set()
    assert names("--run", history.first.id[:8], "--kind", "scripted-user") >= {"plain-service"}  # a past run
    assert "plain-service" not in names("--provider", "scripted")
    assert names("--kind", "aws-user") == set()
    csv_out = run_cli(monkeypatch, "identities", "--db", history.url, "--format", "csv", "--partner", "acme")
    assert csv_out.stdout.splitlines()[0].startswith("id,provider,kind,scope,name")


def test_report_json_is_the_run_document_of_a_past_run(
    history: History, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "first.json"
    run = history.first.id
    outcome = run_cli(monkeypatch, "report", "--db", history.url, "--run", run, "-f", "json", "-o", str(out))
    assert outcome.code == 0, outcome.stderr
    document = json.loads(out.read_text())
    assert set(document) == {"run", "identities", "findings"} and document["run"]["id"] == history.first.id
    assert {f["status"] for f in document["findings"]} == {"new"} and len(document["identities"]) == 6
    assert out.stat().st_mode & 0o777 == 0o600  # a new report is readable by its owner only


def test_read_only_commands_never_create_or_migrate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "typo.db"
    for command in (["runs"], ["identities"], ["findings"], ["scopes", "list"], ["report", "-o", "-"]):
        outcome = run_cli(monkeypatch, *command, "--db", f"sqlite:///{missing}")
        assert outcome.code == 2, (command, outcome)
        assert f"no database at {missing}" in outcome.stderr
        assert not missing.exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    outcome = run_cli(monkeypatch, "runs", "--db", f"sqlite:///{empty}")
    assert outcome.code == 2 and "holds no partner-nhi history" in outcome.stderr
    with sqlite3.connect(empty) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []  # nothing was migrated


def test_an_unknown_or_ambiguous_run_is_bad_input(history: History, monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = run_cli(monkeypatch, "identities", "--db", history.url, "--run", "nope")
    assert unknown.code == 2 and "no run 'nope'" in unknown.stderr
    wildcard = run_cli(monkeypatch, "identities", "--db", history.url, "--run", "%")
    assert wildcard.code == 2  # LIKE wildcards are text, not patterns
