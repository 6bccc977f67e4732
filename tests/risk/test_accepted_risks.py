"""Accepted risks in runs: a suppressed finding stays in every output and does not fail
``--fail-on`` until its entry expires; each run records what it accepted, so a past run reads
back as it was; coverage problems stay visible; stale entries are reported; the sweep lists
accepted holdings but only identity-wide acceptances release its gate."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.builders import REGISTRY, sample_registry
from helpers.cli import run_cli
from helpers.moto import Moto
from helpers.scripted import registered
from partner_nhi.config import Settings, SuppressionPolicy
from partner_nhi.connectors.aws.demo import seed
from partner_nhi.engine import ScanRequest, run_scan
from partner_nhi.outputs.render import write_report
from partner_nhi.results import RunResult
from partner_nhi.rules.model import Severity
from partner_nhi.shards import Shard
from partner_nhi.store import Store
from partner_nhi.suppressions import Suppressions, load_suppressions

FAST_RETRY = {"attempts": 2, "initial_delay": 0.01, "max_delay": 0.02}
DEMO_REGISTRY = Path(__file__).resolve().parents[2] / "scanner" / "demo" / "registry.yaml"
TODAY = datetime.now(UTC).date()
OLD_KEY = {"rule": "unrotated-credential", "identity": "s1/old"}  # "old" holds a 200-day-old key: medium


@pytest.fixture(autouse=True)
def plugin(tmp_path: Path) -> Iterator[Path]:
    with registered(tmp_path / "plugins") as folder:
        yield folder


def accepted(expires: date, **match: Any) -> dict[str, Any]:
    """An entry; the date as text, so that YAML never writes one object twice as an alias (refused)."""
    return {
        **match,
        "justification": "vendor migration, SEC-1234",
        "approver": "alice@example.com",
        "expires": expires.isoformat(),
    }


def write_config(folder: Path, entries: list[dict[str, Any]] | None, **scripted: Any) -> Path:
    (folder / "registry.yaml").write_text(yaml.safe_dump(REGISTRY))
    config: dict[str, Any] = {
        "registry": "registry.yaml",
        "database": f"sqlite:///{folder}/h.db",
        "connectors": {"scripted": {"users": {"s1": {"old": 200, "fresh": 10}}, **scripted}},
        "retry": FAST_RETRY,
    }
    if entries is not None:
        (folder / "accepted.yaml").write_text(yaml.safe_dump({"version": 1, "suppressions": entries}))
        config["suppressions"] = "accepted.yaml"
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def scan_json(monkeypatch: pytest.MonkeyPatch, config: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    outcome = run_cli(monkeypatch, "scan", "-c", str(config), "-f", "json", *extra)
    return outcome.code, json.loads(outcome.stdout)


def only_finding(document: dict[str, Any]) -> dict[str, Any]:
    [finding] = [f for f in document["findings"] if f["status"] != "resolved"]
    return finding


def report(url: str, run_id: str, fmt: str) -> str:
    stream = io.StringIO()
    with Store(url) as store:
        write_report(store.document(run_id), fmt, stream, width=400)  # a table wide enough not to fold
    return stream.getvalue()


def test_a_suppressed_finding_is_shown_and_fails_the_pipeline_again_once_expired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    unaccepted, _ = scan_json(monkeypatch, write_config(tmp_path, None), "--fail-on", "medium")
    assert unaccepted == 1

    code, first = scan_json(
        monkeypatch, write_config(tmp_path, [accepted(TODAY + timedelta(days=30), **OLD_KEY)]), "--fail-on", "medium"
    )
    assert code == 0  # the only finding at or above medium is an accepted risk
    finding = only_finding(first)
    assert finding["rule"] == "unrotated-credential" and finding["status"] == "open"
    assert finding["suppressed"] is True
    entry_id = finding["suppression"].pop("id")
    assert entry_id.startswith("acc-")
    assert finding["suppression"] == {
        "justification": "vendor migration, SEC-1234",
        "approver": "alice@example.com",
        "expires": (TODAY + timedelta(days=30)).isoformat(),
        "expired": False,
    }
    assert run_cli(monkeypatch, "scan", "-c", str(write_config(tmp_path, [])), "--fail-on", "high").code == 0

    code, later = scan_json(
        monkeypatch, write_config(tmp_path, [accepted(TODAY - timedelta(days=1), **OLD_KEY)]), "--fail-on", "medium"
    )
    assert code == 1  # expired: it counts again, and the report says so
    lapsed = only_finding(later)
    assert lapsed["suppressed"] is False
    assert lapsed["suppression"]["expired"] is True and lapsed["suppression"]["id"] == entry_id
    table = report(url, later["run"]["id"], "table")
    assert "acceptance expired" in table and "SEC-1234" in table

    assert only_finding(json.loads(report(url, first["run"]["id"], "json")))["suppressed"] is True  # as it was then
    history = run_cli(monkeypatch, "findings", "--db", url, "--run", first["run"]["id"], "-f", "json")
    assert [f["suppressed"] for f in json.loads(history.stdout)] == [True]


def test_on_the_aws_demo_estate_accepting_the_critical_findings_passes_the_gate_until_expiry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto: Moto
) -> None:
    """Real shapes: Example Corp's IAM (the demo's) in moto. Its critical findings (acme's, an
    offboarded partner's identities still enabled, and roles trusted without an external id) are
    accepted one by one, by finding id: --fail-on critical passes until the acceptance expires."""
    seed(moto.endpoint)
    config = tmp_path / "config.yaml"

    def configure(entries: list[dict[str, Any]]) -> Path:
        (tmp_path / "accepted.yaml").write_text(yaml.safe_dump({"version": 1, "suppressions": entries}))
        settings = {
            "registry": str(DEMO_REGISTRY),
            "suppressions": "accepted.yaml",
            "database": f"sqlite:///{tmp_path}/h.db",
            "connectors": {"aws": moto.settings(internal_account_ids=[])},
        }
        config.write_text(yaml.safe_dump(settings))
        return config

    code, before = scan_json(monkeypatch, configure([]), "--fail-on", "critical")
    critical = [f["id"] for f in before["findings"] if f["severity"] == "critical"]
    assert code == 1 and critical
    assert {"acme-sync", "acme-crossaccount"} <= {f["identity_name"] for f in before["findings"] if f["id"] in critical}

    expired = [accepted(TODAY - timedelta(days=1), finding=fid) for fid in critical]
    assert run_cli(monkeypatch, "scan", "-c", str(configure(expired)), "--fail-on", "critical").code == 1
    in_force = [accepted(TODAY + timedelta(days=90), finding=fid) for fid in critical]
    code, document = scan_json(monkeypatch, configure(in_force), "--fail-on", "critical")
    assert code == 0
    shown = [f for f in document["findings"] if f["id"] in critical]
    assert len(shown) == len(critical)  # still in the report, marked accepted
    assert all(f["suppressed"] and f["suppression"]["approver"] == "alice@example.com" for f in shown)
    assert not any(f["suppressed"] for f in document["findings"] if f["id"] not in critical)
    assert scan_json(monkeypatch, config, "--fail-on", "high")[0] == 1  # the rest still counts


def test_every_output_carries_the_acceptance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    entries = [accepted(TODAY + timedelta(days=30), **OLD_KEY), accepted(TODAY - timedelta(days=1), identity="s1/x*")]
    _, document = scan_json(monkeypatch, write_config(tmp_path, entries, users={"s1": {"old": 200, "xold": 300}}))
    run_id = document["run"]["id"]
    events = {e["resources"][0]["name"]: e for e in map(json.loads, report(url, run_id, "ocsf").splitlines())}
    assert (events["old"]["status_id"], events["old"]["status"]) == (3, "Suppressed")
    assert events["old"]["unmapped"]["suppression"]["expired"] is False
    assert (events["xold"]["status_id"], events["xold"]["status"]) == (1, "New")  # its acceptance expired
    assert events["xold"]["unmapped"]["suppression"]["expired"] is True
    rows = {row["identity_name"]: row for row in csv.DictReader(io.StringIO(report(url, run_id, "csv")))}
    assert rows["old"]["suppressed"] == "True" and rows["old"]["suppression"].startswith("accepted until")
    assert rows["xold"]["suppressed"] == "False" and rows["xold"]["suppression"].startswith("acceptance expired")
    audit = run_cli(monkeypatch, "report", "--db", url, "--run", run_id, "-f", "markdown", "-o", "-").stdout
    assert "## Accepted risks" in audit
    assert "| alice@example.com | " + (TODAY + timedelta(days=30)).isoformat() + " | in force |" in audit
    assert "| expired: counts again |" in audit
    html = run_cli(monkeypatch, "report", "--db", url, "--run", run_id, "-f", "html", "-o", "-").stdout
    assert '<h2 id="accepted">Accepted risks</h2>' in html and "vendor migration, SEC-1234" in html
    table = report(url, run_id, "table")
    assert "open by severity: medium 1" in table  # xold counts; old is accepted
    assert "accepted risks (open, not counted above): 1" in table


def test_acceptance_never_hides_a_coverage_gap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = [accepted(TODAY + timedelta(days=30), **OLD_KEY)]
    assert scan_json(monkeypatch, write_config(tmp_path, entries), "--fail-on", "medium")[0] == 0
    code, broken = scan_json(
        monkeypatch, write_config(tmp_path, entries, raise_after_listing=True), "--fail-on", "medium"
    )
    assert code == 3 and broken["run"]["status"] == "partial"
    finding = only_finding(broken)
    assert finding["carried"] is True and finding["suppressed"] is True
    assert "RuntimeError" in finding["evidence"]["not_re_evaluated"]  # the reason stays visible
    assert broken["run"]["scopes"][0]["status"] == "partial"


def engine_scan(store: Store, suppressions: Suppressions, now: datetime, **scripted: Any) -> RunResult:
    settings = Settings(connectors={"scripted": {"users": {"s1": {"old": 200}}, **scripted}}, retry=FAST_RETRY)
    request = ScanRequest(settings, sample_registry(), ["scripted"], now=now, suppressions=suppressions)
    return run_scan(request, store)


def loaded(tmp_path: Path, entries: list[dict[str, Any]], stale_after_runs: int = 7) -> Suppressions:
    path = tmp_path / "accepted.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "suppressions": entries}))
    policy = SuppressionPolicy(stale_after_runs=stale_after_runs)
    return load_suppressions(path, sample_registry(), policy, ["aws", "scripted"], TODAY)


def test_time_alone_ends_an_acceptance(database_url: str, tmp_path: Path) -> None:
    suppressions = loaded(tmp_path, [accepted(TODAY + timedelta(days=10), **OLD_KEY)])
    now = datetime.now(UTC)
    with Store(database_url) as store:
        during = engine_scan(store, suppressions, now)
        after = engine_scan(store, suppressions, now + timedelta(days=11))
        assert not during.holds_current_at_or_above(Severity.MEDIUM)
        assert after.holds_current_at_or_above(Severity.MEDIUM)
        [then] = during.findings
        [later] = after.findings
        assert then.suppressed and then.suppression is not None and not then.suppression.expired
        assert not later.suppressed and later.suppression is not None and later.suppression.expired
        [recorded] = store.findings(run_id=during.id)
        assert recorded.suppression == then.suppression


def test_an_entry_that_matches_nothing_is_reported_stale(database_url: str, tmp_path: Path) -> None:
    entries = [
        accepted(TODAY + timedelta(days=30), **OLD_KEY),
        accepted(TODAY + timedelta(days=30), identity="s1/ghost"),
        accepted(TODAY + timedelta(days=30), provider="aws", rule="stale-identity"),  # not scanned: not counted
    ]
    suppressions = loaded(tmp_path, entries, stale_after_runs=2)
    ghost = suppressions.entries[1].id
    now = datetime.now(UTC)
    with Store(database_url) as store:
        first = engine_scan(store, suppressions, now)
        assert first.warnings == []
        second = engine_scan(store, suppressions, now)
        assert second.warnings == [
            f"{tmp_path / 'accepted.yaml'}:7: accepted risk {ghost} matched no finding in the last 2 runs: "
            "stale (remove it, or correct what it matches)"
        ]
        assert store.accepted_risk_uses([e.id for e in suppressions.entries], 5, None) == {
            suppressions.entries[0].id: [1, 1],
            ghost: [0, 0],
        }
        found = engine_scan(store, suppressions, now, users={"s1": {"old": 200, "ghost": 300}})
        assert found.warnings == []
        with Store(database_url) as again:
            assert again.document(second.id).run["warnings"] == second.warnings


def test_the_shards_of_a_run_count_together(postgres_url: str, tmp_path: Path) -> None:
    users = {f"s{n}": {"old": 200} for n in range(4)}
    entries = [
        accepted(TODAY + timedelta(days=30), identity="s*/old"),
        accepted(TODAY + timedelta(days=30), identity="ghost"),
    ]
    suppressions = loaded(tmp_path, entries, stale_after_runs=1)
    old, ghost = (entry.id for entry in suppressions.entries)
    settings = Settings(connectors={"scripted": {"users": users, "scopes": sorted(users)}}, retry=FAST_RETRY)

    def shard(run_id: str, index: int) -> RunResult:
        part = Shard(index, 2)
        request = ScanRequest(
            settings, sample_registry(), ["scripted"], run_id=run_id, shard=part, suppressions=suppressions
        )
        with Store(postgres_url) as store:
            return run_scan(request, store)

    first = [shard("run-1", 0), shard("run-1", 1)]
    assert sum(len(part.findings) for part in first) == 4 and all(part.warnings == [] for part in first)
    with Store(postgres_url) as store:
        assert store.accepted_risk_uses([old, ghost], 5, None) == {old: [4], ghost: [0]}  # both shards, summed
    later = shard("run-2", 0)  # run-1 is settled: it counts; run-2 will once its shards have all reported
    [stale] = later.warnings
    assert f"accepted risk {ghost} matched no finding in the last 1 runs" in stale


def sweep_json(monkeypatch: pytest.MonkeyPatch, config: Path) -> tuple[int, dict[str, Any]]:
    outcome = run_cli(monkeypatch, "sweep", "--partner", "globex", "-c", str(config), "-f", "json")
    return outcome.code, json.loads(outcome.stdout)


def test_the_sweep_lists_accepted_holdings_and_only_identity_wide_ones_release_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    estate = {"s1": {"globex-sync": 200, "globex-ro": 10}}  # both globex's by name pattern, both active
    in_force = TODAY + timedelta(days=30)
    key_only = accepted(in_force, rule="unrotated-credential", identity="s1/globex-sync")
    read_only = accepted(in_force, partner="globex", identity="s1/globex-ro")
    code, swept = sweep_json(monkeypatch, write_config(tmp_path, [key_only, read_only], users=estate))
    assert code == 1  # globex-sync is still outstanding: accepting its key is not accepting the holding
    holdings = {h["name"]: h for h in swept["holdings"]}
    assert (swept["active"], swept["accepted"], swept["outstanding"]) == (2, 1, 1)
    assert holdings["globex-ro"]["suppressed"] is True and holdings["globex-ro"]["suppression"]["expired"] is False
    assert holdings["globex-sync"]["suppressed"] is False and holdings["globex-sync"]["suppression"] is None
    assert holdings["globex-sync"]["suppressed_findings"] == holdings["globex-sync"]["findings"] != []

    whole = accepted(in_force, partner="globex", identity="s1/globex-*")
    config = write_config(tmp_path, [whole], users=estate)
    code, swept = sweep_json(monkeypatch, config)
    assert code == 0 and (swept["active"], swept["outstanding"]) == (2, 0)
    assert len(swept["holdings"]) == 2  # still listed: holding something is a fact
    stored = run_cli(monkeypatch, "sweep", "--partner", "globex", "-c", str(config), "--from-store", "-f", "markdown")
    assert stored.code == 0 and "2 active holdings are accepted as a risk" in stored.stdout
    assert "Accepted as a risk until" in stored.stdout

    lapsed = accepted(TODAY - timedelta(days=1), partner="globex", identity="s1/globex-*")
    code, swept = sweep_json(monkeypatch, write_config(tmp_path, [lapsed], users=estate))
    assert code == 1 and swept["outstanding"] == 2


def test_a_bad_accepted_risks_file_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path, [{**accepted(TODAY + timedelta(days=30), **OLD_KEY), "approver": "zed@x"}])
    outcome = run_cli(monkeypatch, "scan", "-c", str(config), "-f", "json")
    assert outcome.code == 2
    assert f"{tmp_path / 'accepted.yaml'}:" in outcome.stderr and "suppressions[0].approver" in outcome.stderr
    assert not (tmp_path / "h.db").exists()
