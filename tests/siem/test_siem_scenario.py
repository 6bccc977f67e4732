"""The issue's done-when: three scans of a changing estate deliver Create, Update and Close
events to a local HEC that was down for the first scan: every event arrives, none twice,
all validate; and the HEC token appears in no output."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import run_cli
from helpers.databases import query
from helpers.siem import HEC_TOKEN, FakeHec, free_port, validate_event, write_inputs

# scan 1: two unrotated keys; scan 2: partner globex offboarded (two orphaned identities appear,
# the globex key's finding is raised to high: an Update; ci-bot's key is a day older: nothing);
# scan 3: ci-bot's key rotated and globex-etl deleted (both close).
ESTATES = [
    ({"s1": {"globex-sync": 200, "globex-etl": 10, "ci-bot": 120}}, ()),
    ({"s1": {"globex-sync": 201, "globex-etl": 11, "ci-bot": 121}}, ("globex",)),
    ({"s1": {"globex-sync": 202, "ci-bot": 3}}, ("globex",)),
]
EXPECTED = [
    Counter({"Create": 2, "Completed": 1}),
    Counter({"Create": 2, "Update": 1, "Completed": 1}),
    Counter({"Close": 2, "Completed": 1}),
]


def outbox(url: str) -> list[dict[str, Any]]:
    rows = query(url, "SELECT run_id, activity, uid, event FROM siem_outbox ORDER BY id")
    return [
        {"run": r[0], "activity": r[1], "uid": r[2], "event": json.loads(r[3]) if isinstance(r[3], str) else r[3]}
        for r in rows
    ]


def test_three_scans_reach_a_hec_that_was_down_for_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/history.db"
    port = free_port()
    sinks = [{"name": "soc", "type": "splunk-hec", "url": f"http://127.0.0.1:{port}/services/collector/event",
              "token_env": "PARTNER_NHI_HEC_TOKEN", "sourcetype": "ocsf:finding", "timeout": 2}]  # fmt: skip
    outputs: list[str] = []

    def scan(number: int) -> Any:
        users, offboarded = ESTATES[number]
        config, _ = write_inputs(tmp_path, users, sinks, offboarded)
        report = tmp_path / f"scan{number}.json"
        done = run_cli(monkeypatch, "scan", "-c", str(config), "--db", url, "-f", "json", "-o", str(report))
        outputs.extend([done.stdout, done.stderr, report.read_text()])
        return done

    first = scan(0)  # the HEC is down: nothing listens on its port
    assert first.code == 0, first.stderr  # the scan completed; the export problem does not change that
    assert "soc (splunk-hec" in first.stderr and "pending 3" in first.stderr and "acknowledged 0" in first.stderr
    with FakeHec(HEC_TOKEN, port=port) as hec:
        second = scan(1)
        assert second.code == 0, second.stderr
        assert "acknowledged 7, pending 0" in second.stderr  # scan 1's three events, then scan 2's four
        third = scan(2)
        assert third.code == 0 and "acknowledged 3, pending 0" in third.stderr
        exported = run_cli(monkeypatch, "export", "-c", str(tmp_path / "partner-nhi.yaml"), "--db", url)
        outputs.extend([exported.stdout, exported.stderr])
    assert exported.code == 0 and "sent 0, acknowledged 0, pending 0" in exported.stdout

    stored = outbox(url)
    runs = list(dict.fromkeys(row["run"] for row in stored))
    assert [Counter(row["activity"] for row in stored if row["run"] == run) for run in runs] == EXPECTED
    received = hec.ledger.uids()
    assert set(received) == {row["uid"] for row in stored}  # every event arrived
    assert hec.ledger.duplicates() == set()  # none twice
    for event in hec.ledger.accepted:
        validate_event(event)
    assert {e["sourcetype"] for e in hec.envelopes} == {"ocsf:finding"}

    update = next(row["event"] for row in stored if row["activity"] == "Update")
    assert update["severity"] == "High" and update["finding_info"]["types"] == ["unrotated-credential"]
    closes = [row["event"] for row in stored if row["activity"] == "Close"]
    assert {e["status"] for e in closes} == {"Resolved"}
    assert all(e["compliance"]["status_id"] == 1 for e in closes)  # the checks pass once closed
    health = [row["event"] for row in stored if row["activity"] == "Completed"]
    assert all(e["class_uid"] == 6007 and e["status"] == "Success" for e in health)

    captured = capfd.readouterr()
    everything = "\n".join(
        [*outputs, captured.out, captured.err, (tmp_path / "history.db").read_bytes().decode("latin-1")]
    )
    assert HEC_TOKEN not in everything
