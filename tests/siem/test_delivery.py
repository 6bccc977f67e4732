"""Delivery through the store: two exports at once never send an event twice, a killed export
resumes, one sink's trouble holds back no other, an event exists exactly when its change
was committed, acknowledged events are pruned after the retention, and the command line's
exit codes (0 nothing pending, 3 pending, 2 configuration)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from helpers.builders import sample_registry
from helpers.cli import run_cli
from helpers.databases import refusing_writes
from helpers.siem import HEC_TOKEN, FakeHec, Hold, free_port, write_inputs
from partner_nhi.config import Settings
from partner_nhi.engine import ScanRequest, run_scan
from partner_nhi.siem.config import SiemSettings
from partner_nhi.siem.delivery import deliver
from partner_nhi.store import Store

MANY = {"s1": {f"svc-{n:02}": 100 + n for n in range(40)}}  # 40 Create events and the run's health


def scan(url: str, users: dict[str, dict[str, int]]) -> None:
    with Store(url) as store:
        run_scan(
            ScanRequest(Settings(connectors={"scripted": {"users": users}}), sample_registry(), ["scripted"]), store
        )


def outbox_uids(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT uid FROM siem_outbox ORDER BY id"))]
    finally:
        engine.dispose()


def export_process(config: Path, url: str) -> subprocess.Popen[str]:
    """``partner-nhi export`` in a process of its own, as a scheduler would start it."""
    code = "from partner_nhi.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "export", "-c", str(config), "--db", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )


def hec_config(folder: Path, hec: FakeHec, **sink: Any) -> Path:
    config, _ = write_inputs(
        folder,
        MANY,
        [{"name": "soc", "type": "splunk-hec", "url": hec.url, "token_env": "PARTNER_NHI_HEC_TOKEN", **sink}],
    )
    return config


def test_two_exports_at_once_never_send_an_event_twice(tmp_path: Path, database_url: str) -> None:
    scan(database_url, MANY)
    with FakeHec(HEC_TOKEN) as hec:
        hec.latency = 0.05  # a slow SIEM: both exporters are at work at once
        config = hec_config(tmp_path, hec, batch_size=4)
        exporters = [export_process(config, database_url) for _ in range(2)]
        outcomes = [exporter.communicate(timeout=120) for exporter in exporters]
    assert [exporter.returncode for exporter in exporters] == [0, 0], outcomes
    assert hec.ledger.duplicates() == set()
    assert sorted(hec.ledger.uids()) == sorted(outbox_uids(database_url))
    assert HEC_TOKEN not in "".join(out + err for out, err in outcomes)


def test_a_killed_export_resumes(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scan(database_url, MANY)
    release = threading.Event()
    with FakeHec(HEC_TOKEN) as hec:
        hec.then(Hold(release))  # the first batch arrives; the exporter dies before the answer
        config = hec_config(tmp_path, hec, batch_size=10)
        exporter = export_process(config, database_url)
        hec.ledger.wait_for_requests(1)
        exporter.kill()
        exporter.communicate(timeout=30)
        release.set()
        resumed = run_cli(monkeypatch, "export", "-c", str(config), "--db", database_url)
    assert resumed.code == 0 and "acknowledged 41, pending 0" in resumed.stdout  # the killed batch too
    assert sorted(set(hec.ledger.uids())) == sorted(outbox_uids(database_url))
    assert hec.ledger.duplicates() == hec.ledger.unconfirmed and len(hec.ledger.unconfirmed) == 10  # resent, same uids


def test_a_sink_that_is_down_holds_back_no_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    with FakeHec(HEC_TOKEN) as hec:
        down = f"http://127.0.0.1:{free_port()}/services/collector/event"
        sinks = [
            {"name": "down", "type": "splunk-hec", "url": down, "token_env": "PARTNER_NHI_HEC_TOKEN"},
            {"name": "soc", "type": "splunk-hec", "url": hec.url, "token_env": "PARTNER_NHI_HEC_TOKEN"},
        ]
        config, _ = write_inputs(tmp_path, MANY, sinks)
        assert run_cli(monkeypatch, "scan", "-c", str(config), "--db", url, "--no-export", "-o", "-").code == 0
        done = run_cli(monkeypatch, "export", "-c", str(config), "--db", url)
        only = run_cli(monkeypatch, "export", "-c", str(config), "--db", url, "--sink", "soc")
    assert done.code == 3  # a scheduler can alert: events remain pending
    assert "down (splunk-hec" in done.stdout and "acknowledged 0, pending 41" in done.stdout
    assert "soc (splunk-hec" in done.stdout and "acknowledged 41, pending 0" in done.stdout
    assert only.code == 0 and "down" not in only.stdout  # the one sink asked for has nothing pending


def test_dry_run_sends_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    with FakeHec(HEC_TOKEN) as hec:
        config = hec_config(tmp_path, hec)
        assert run_cli(monkeypatch, "scan", "-c", str(config), "--db", url, "--no-export", "-o", "-").code == 0
        dry = run_cli(monkeypatch, "export", "-c", str(config), "--db", url, "--dry-run")
    assert dry.code == 3 and "41 pending (dry run: nothing sent)" in dry.stdout
    assert hec.ledger.requests == 0


@pytest.mark.parametrize(
    ("sink", "message"),
    [
        ({"token_env": "PARTNER_NHI_UNSET_TOKEN"}, "environment variable PARTNER_NHI_UNSET_TOKEN is not set"),
        ({"token": "abc"}, "secrets are never read from the configuration"),
        ({"url": "http://splunk.example:8088/services/collector/event"}, "plain http to splunk.example"),
        ({"url": "https://user:pw@splunk.example/services/collector/event"}, "credentials in the URL are refused"),
    ],
)
def test_configuration_errors_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sink: dict[str, Any], message: str
) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    scan(url, MANY)
    base = {"name": "soc", "type": "splunk-hec", "url": "http://127.0.0.1:9/services/collector/event"}
    config, _ = write_inputs(tmp_path, MANY, [{**base, "token_env": "PARTNER_NHI_HEC_TOKEN", **sink}])
    done = run_cli(monkeypatch, "export", "-c", str(config), "--db", url)
    assert done.code == 2 and message in done.stderr
    assert "abc" not in done.stderr and "pw@" not in done.stderr


def test_export_never_creates_a_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = write_inputs(tmp_path, MANY, [{"name": "a", "type": "jsonl", "path": str(tmp_path / "e.jsonl")}])
    done = run_cli(monkeypatch, "export", "-c", str(config), "--db", f"sqlite:///{tmp_path}/typo.db")
    assert done.code == 2 and not (tmp_path / "typo.db").exists()


def test_an_event_exists_exactly_when_its_change_was_committed(tmp_path: Path, database_url: str) -> None:
    scan(database_url, {"s1": {"old": 200}})
    engine = create_engine(database_url)
    with engine.connect() as connection:
        before = connection.execute(text("SELECT id, status, severity FROM findings ORDER BY id")).all()
    settings = Settings(connectors={"scripted": {"users": {"s1": {"old": 200, "new": 300}}}})
    refused = refusing_writes(database_url, "siem_outbox")  # no event can be written...
    with refused, Store(database_url) as store, pytest.raises(DBAPIError, match="disk full"):
        run_scan(ScanRequest(settings, sample_registry(), ["scripted"]), store)
    with engine.connect() as connection:  # ...so neither is the change they describe
        assert connection.execute(text("SELECT id, status, severity FROM findings ORDER BY id")).all() == before
    engine.dispose()
    assert len(outbox_uids(database_url)) == 2  # the first run's Create and its health


def test_acknowledged_events_are_pruned_after_the_retention(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    scan(url, MANY)
    archive = {"name": "archive", "type": "jsonl", "path": str(tmp_path / "a.jsonl")}
    other = {"name": "other", "type": "jsonl", "path": str(tmp_path / "b.jsonl")}
    engine = create_engine(url)
    with engine.begin() as connection:  # made 40 days ago
        connection.execute(text("UPDATE siem_outbox SET created = :old"), {"old": datetime.now(UTC) - timedelta(40)})
    engine.dispose()
    with Store(url) as store:
        kept = deliver(store, SiemSettings.model_validate({"sinks": [archive], "retention_days": 60}))
        waiting = deliver(store, SiemSettings.model_validate({"sinks": [archive, other], "retention_days": 30}))
        assert waiting.sinks[1].acknowledged == 41  # other had not acknowledged them: kept for it until now
        pruned = deliver(store, SiemSettings.model_validate({"sinks": [archive, other], "retention_days": 30}))
    assert (kept.pruned, waiting.pruned, pruned.pruned) == (0, 41, 0)
    assert outbox_uids(url) == []
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 41


def test_scan_enqueues_without_delivering_when_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    with FakeHec(HEC_TOKEN) as hec:
        config = hec_config(tmp_path, hec)
        kept = run_cli(monkeypatch, "scan", "-c", str(config), "--db", url, "--no-export", "-o", "-")
        assert kept.code == 0 and hec.ledger.requests == 0 and len(outbox_uids(url)) == 41
        sent = run_cli(monkeypatch, "scan", "-c", str(config), "--db", url, "-o", "-")
    assert sent.code == 0 and "acknowledged 42, pending 0" in sent.stderr  # the earlier 41 and this run's health


def test_the_example_configuration_loads() -> None:
    from partner_nhi.config import load_settings

    example = load_settings(Path(__file__).parents[2] / "config" / "partner-nhi.example.yaml")
    assert [sink.name for sink in example.siem.sinks] == ["soc", "hook", "archive", "syslog"]


def test_the_config_contract_of_the_issue_loads() -> None:
    contract = yaml.safe_load(  # the issue's own keys and values (one entry folded over two lines)
        """
siem:
  sinks:
    - {name: soc, type: splunk-hec, url: https://splunk.example:8088/services/collector/event,
       token_env: PARTNER_NHI_HEC_TOKEN}
    - {name: hook, type: webhook, url: https://hooks.example/nhi, secret_env: PARTNER_NHI_WEBHOOK_SECRET}
    - {name: archive, type: jsonl, path: /var/lib/partner-nhi/events.jsonl}
    - {name: syslog, type: syslog, address: "siem.example:6514", tls: true, format: cef}
"""
    )
    settings = Settings(**contract)
    assert [(s.name, s.type) for s in settings.siem.sinks] == [
        ("soc", "splunk-hec"),
        ("hook", "webhook"),
        ("archive", "jsonl"),
        ("syslog", "syslog"),
    ]
