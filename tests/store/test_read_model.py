"""The read model: any run's document rebuilt from the store, page by page, exactly as that
run wrote it; reports stream from it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.builders import sample_registry
from helpers.scripted import registered
from partner_nhi.config import Settings
from partner_nhi.engine import ScanRequest, run_scan
from partner_nhi.outputs.render import write_report
from partner_nhi.results import RunResult
from partner_nhi.store import Store


@pytest.fixture(autouse=True)
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


def scan(store: Store, users: dict[str, dict[str, int]], keep: bool = False) -> RunResult:
    settings = Settings(connectors={"scripted": {"users": users, "scopes": sorted(users)}})
    return run_scan(ScanRequest(settings, sample_registry(), ["scripted"], keep_records=keep), store)


def report(store: Store, run: str, fmt: str) -> str:
    stream = io.StringIO()
    write_report(store.document(run), fmt, stream)
    return stream.getvalue()


def test_a_past_run_reads_back_as_it_was(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        first = scan(store, {"s1": {"old": 200, "rotated-later": 150}})
        before = json.loads(report(store, first.id, "json"))
        second = scan(store, {"s1": {"old": 200, "rotated-later": 5}})
        assert json.loads(report(store, first.id, "json")) == before  # history does not move under it
        now = json.loads(report(store, second.id, "json"))
    assert {(f["identity_name"], f["status"]) for f in before["findings"]} == {("old", "new"), ("rotated-later", "new")}
    assert {(f["identity_name"], f["status"]) for f in now["findings"]} == {
        ("old", "open"),
        ("rotated-later", "resolved"),
    }
    created = {i["name"]: i["credentials"][0]["created"] for i in before["identities"]}
    rotated = {i["name"]: i["credentials"][0]["created"] for i in now["identities"]}
    assert created["rotated-later"] != rotated["rotated-later"]  # each run shows its own version
    assert now["run"]["id"] == second.id and now["run"]["status"] == "complete"
    assert [s["scope"] for s in now["run"]["scopes"]] == ["s1"]


def test_the_streamed_document_equals_the_runs_own_records(tmp_path: Path) -> None:
    users = {f"s{n}": {f"user-{n}-{m}": 100 + m for m in range(7)} for n in range(3)}
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        run = scan(store, users, keep=True)
        document = json.loads(report(store, run.id, "json"))
        paged = store.document(run.id)
        small_pages = [entry["id"] for entry in paged.findings(page=4)]
        identities = [entry["id"] for entry in paged.identities(page=5)]
    assert list(document) == ["run", "identities", "findings"]
    assert sorted(f["id"] for f in document["findings"]) == sorted(f.id for f in run.findings)
    assert small_pages == [f["id"] for f in document["findings"]]  # pages join up: none lost, none twice
    assert identities == [i["id"] for i in document["identities"]]
    assert len(identities) == len(set(identities)) == 21
    assert len(small_pages) == len(set(small_pages)) == 21
    ranks = [{"critical": 3, "high": 2, "medium": 1, "low": 0}[f["severity"]] for f in document["findings"]]
    assert ranks == sorted(ranks, reverse=True)


def test_a_carried_finding_reads_back_with_its_reason(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        scan(store, {"s1": {"old": 200}, "s2": {"elsewhere": 300}})
        later = scan(store, {"s1": {"old": 200}})  # s2 no longer configured
        document = json.loads(report(store, later.id, "json"))
    carried = next(f for f in document["findings"] if f["identity_name"] == "elsewhere")
    assert carried["status"] == "open" and carried["carried"] is True
    assert "not in the configuration" in carried["evidence"]["not_re_evaluated"]
    [not_scanned] = [s for s in document["run"]["scopes"] if not s["scanned"]]
    assert not_scanned["scope"] == "s2" and not_scanned["status"] == "skipped"


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        run = scan(store, {"s1": {'=HYPERLINK("http://evil.example","x")': 200, "@SUM(1)": 300, "plain": 400}})
        rows = list(csv.DictReader(io.StringIO(report(store, run.id, "csv"))))
    names = {row["identity_name"] for row in rows}
    assert names == {'\'=HYPERLINK("http://evil.example","x")', "'@SUM(1)", "plain"}


@pytest.mark.parametrize("fmt", ["ocsf", "table"])
def test_other_formats_stream_every_finding(tmp_path: Path, fmt: str) -> None:
    with Store(f"sqlite:///{tmp_path}/s.db") as store:
        run = scan(store, {"s1": {"old": 200, "older": 300, "[/bold]x[link=http://e]": 400}})
        text = report(store, run.id, fmt)
    if fmt == "ocsf":
        events: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines()]
        assert len(events) == 3 and {e["class_uid"] for e in events} == {2004}
    else:
        assert "[/bold]x[link=http://e]" in text  # shown as text, never read as markup
        assert "open by rule: unrotated-credential 3" in text


def test_an_unknown_run_is_bad_input(tmp_path: Path) -> None:
    from partner_nhi.errors import ConfigError

    with Store(f"sqlite:///{tmp_path}/s.db") as store, pytest.raises(ConfigError, match="no run 'nope'"):
        store.document("nope")
