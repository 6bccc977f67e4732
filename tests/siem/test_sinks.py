"""Each sink against a local receiver that fails, throttles, times out, closes the connection
mid-request and recovers: nothing lost, nothing acknowledged twice, the events in order."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from helpers.builders import sample_registry
from helpers.cli import run_cli
from helpers.siem import (
    HEC_BUSY,
    HEC_INCORRECT_INDEX,
    HEC_TOKEN,
    WEBHOOK_SECRET,
    Answer,
    Close,
    FakeHec,
    Hold,
    SyslogListener,
    WebhookReceiver,
    free_port,
    self_signed,
    validate_event,
    write_inputs,
)
from partner_nhi.config import Settings
from partner_nhi.engine import ScanRequest, run_scan
from partner_nhi.siem.config import SiemSettings
from partner_nhi.siem.delivery import DeliveryResult, deliver
from partner_nhi.store import Store

RETRY = {"attempts": 4, "initial_delay": 0.01, "max_delay": 0.05, "max_retry_after": 5}
# five unrotated keys: five Create events and the run's Scan Activity
USERS = {"s1": {f"svc-{n}": 100 + n for n in range(5)}}


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store(f"sqlite:///{tmp_path}/s.db") as opened:
        settings = Settings(connectors={"scripted": {"users": USERS}})
        run_scan(ScanRequest(settings, sample_registry(), ["scripted"]), opened)
        yield opened


def send(store: Store, *sinks: dict[str, Any]) -> DeliveryResult:
    return deliver(store, SiemSettings.model_validate({"sinks": list(sinks), "retry": RETRY}))


def hec_sink(hec: FakeHec, **extra: Any) -> dict[str, Any]:
    return {"name": "soc", "type": "splunk-hec", "url": hec.url, "token_env": "PARTNER_NHI_HEC_TOKEN", **extra}


def assert_all_once(
    store: Store, received: list[dict[str, Any]], unconfirmed: frozenset[str] = frozenset(), whole: bool = True
) -> None:
    """Every outbox event arrived, in outbox order; an event arrived twice only when the
    receiver's first answer never reached the sender; ``whole`` events validate."""
    from sqlalchemy import text

    with store.engine.connect() as connection:
        expected = [row[0] for row in connection.execute(text("SELECT uid FROM siem_outbox ORDER BY id"))]
    uids = [event["metadata"]["uid"] for event in received]
    assert set(uids) == set(expected)
    assert {uid for uid in uids if uids.count(uid) > 1} <= unconfirmed
    assert list(dict.fromkeys(uids)) == expected  # first arrivals in order
    for event in received if whole else []:
        validate_event(event)


def test_hec_batches_with_the_token_and_acknowledges_on_code_0(store: Store) -> None:
    with FakeHec(HEC_TOKEN) as hec:
        result = send(store, hec_sink(hec, batch_size=4, sourcetype="ocsf:nhi", index="security"))
    report = result.sinks[0]
    assert (report.sent, report.acknowledged, report.pending, report.failed) == (6, 6, 0, 0)
    assert hec.ledger.requests == 2  # 4 + 2
    envelopes = {(e["sourcetype"], e["index"], e["source"]) for e in hec.envelopes}
    assert envelopes == {("ocsf:nhi", "security", "partner-nhi")}
    assert all(e["time"] == e["event"]["time"] / 1000 for e in hec.envelopes)
    assert_all_once(store, hec.ledger.accepted)
    assert send(store, hec_sink(hec)).sinks[0].sent == 0  # acknowledged: never sent again


@pytest.mark.parametrize(
    "trouble",
    [
        [Answer(503, HEC_BUSY, {"Retry-After": "0"})],
        [Answer(429, {"text": "Too many requests"}, {"Retry-After": "0"}), Answer(503, HEC_BUSY)],
        [Close()],  # the connection closed mid-request
        [Answer(500, {"text": "Internal server error", "code": 8})],
    ],
    ids=["busy-503", "throttled-429-then-503", "closed-mid-request", "error-500"],
)
def test_hec_trouble_is_retried_until_it_recovers(store: Store, trouble: list[Any]) -> None:
    with FakeHec(HEC_TOKEN) as hec:
        hec.then(*trouble)
        report = send(store, hec_sink(hec)).sinks[0]
    attempts = len(trouble)
    assert (report.sent, report.acknowledged, report.pending, report.retries, report.failed) == (6, 6, 0, attempts, 0)
    assert_all_once(store, hec.ledger.accepted)


def test_hec_retry_after_is_honoured(store: Store) -> None:
    import time

    with FakeHec(HEC_TOKEN) as hec:
        hec.then(Answer(503, HEC_BUSY, {"Retry-After": "1"}))
        started = time.monotonic()
        report = send(store, hec_sink(hec)).sinks[0]
    assert time.monotonic() - started >= 1.0
    assert report.acknowledged == 6 and report.retries == 1


def test_a_timeout_resends_with_the_same_uids(store: Store) -> None:
    release = threading.Event()
    with FakeHec(HEC_TOKEN) as hec:
        hec.then(Hold(release))  # accepted, but the answer comes after the client gave up
        report = send(store, hec_sink(hec, timeout=0.3)).sinks[0]
        release.set()
    assert report.acknowledged == 6 and report.retries == 1
    assert hec.ledger.duplicates() == {e["metadata"]["uid"] for e in hec.ledger.accepted[:6]}
    assert_all_once(store, hec.ledger.accepted, frozenset(hec.ledger.unconfirmed))


def test_hec_that_stays_down_leaves_everything_pending(store: Store) -> None:
    sink = {"name": "soc", "type": "splunk-hec", "url": f"http://127.0.0.1:{free_port()}/services/collector/event",
            "token_env": "PARTNER_NHI_HEC_TOKEN"}  # fmt: skip
    report = send(store, sink).sinks[0]
    assert (report.acknowledged, report.pending, report.retries) == (0, 6, RETRY["attempts"] - 1)
    assert (report.sent, report.failed) == (6, 6)  # each event once, however often it was retried
    assert report.error and "ConnectError" in report.error and "stay pending" in report.error


def test_a_retry_after_beyond_the_limit_stops_at_once(store: Store) -> None:
    with FakeHec(HEC_TOKEN) as hec:
        hec.then(Answer(503, HEC_BUSY, {"Retry-After": "3600"}))
        report = send(store, hec_sink(hec)).sinks[0]
    assert (report.retries, report.pending) == (0, 6)
    assert report.error and "asked to wait too long" in report.error


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (Answer(400, HEC_INCORRECT_INDEX), "Incorrect index"),
        (Answer(403, {"text": "Invalid token", "code": 4}), "Invalid token"),
    ],
)
def test_hec_configuration_errors_are_reported_and_keep_events_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: Answer, said: str
) -> None:
    with FakeHec(HEC_TOKEN) as hec:
        config, _ = write_inputs(tmp_path, USERS, [hec_sink(hec)])
        url = f"sqlite:///{tmp_path}/h.db"
        assert run_cli(monkeypatch, "scan", "-c", str(config), "--db", url, "--no-export", "-o", "-").code == 0
        hec.then(answer)
        refused = run_cli(monkeypatch, "export", "-c", str(config), "--db", url)
        assert hec.ledger.requests == 1  # not retried: retrying cannot fix a configuration
        assert refused.code == 2
        assert said in refused.stdout and "configuration refused" in refused.stdout and "pending 6" in refused.stdout
        assert "PARTNER_NHI_HEC_TOKEN" in refused.stdout and HEC_TOKEN not in refused.stdout + refused.stderr
        fixed = run_cli(monkeypatch, "export", "-c", str(config), "--db", url)
    assert fixed.code == 0 and "acknowledged 6, pending 0" in fixed.stdout


def test_a_wrong_token_is_a_configuration_error(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNER_NHI_HEC_TOKEN", "not-the-token")
    with FakeHec(HEC_TOKEN) as hec:
        report = send(store, hec_sink(hec)).sinks[0]
    assert report.rejected and report.pending == 6 and "Invalid token" in (report.error or "")


def test_hec_indexer_acknowledgement_waits_until_indexed(store: Store) -> None:
    with FakeHec(HEC_TOKEN, indexer_ack=True) as hec:
        report = send(store, hec_sink(hec, indexer_ack=True, ack_poll_interval=0.01)).sinks[0]
    assert report.acknowledged == 6
    assert hec.ack_queries == 2  # not indexed yet, then indexed
    assert len({h["x-splunk-request-channel"] for h in hec.headers}) == 1


def test_hec_indexer_acknowledgement_that_never_comes_keeps_events_pending(store: Store) -> None:
    with FakeHec(HEC_TOKEN) as hec:  # answers without an ackId: the token has acknowledgement off
        report = send(store, hec_sink(hec, indexer_ack=True)).sinks[0]
    assert report.rejected and report.pending == 6


def test_webhook_is_signed_and_a_resent_batch_keeps_its_idempotency_key(
    store: Store, capfd: pytest.CaptureFixture[str]
) -> None:
    with WebhookReceiver(WEBHOOK_SECRET) as hook:
        hook.then(Answer(502, {"error": "bad gateway"}))
        sink = {"name": "hook", "type": "webhook", "url": hook.url, "secret_env": "PARTNER_NHI_WEBHOOK_SECRET"}
        report = send(store, sink).sinks[0]
    assert report.acknowledged == 6 and report.retries == 1
    assert len(hook.idempotency_keys) == 2 and len(set(hook.idempotency_keys)) == 1  # the re-send: the same key
    assert_all_once(store, hook.ledger.accepted)
    logged = capfd.readouterr()
    assert "siem.retry" in logged.err and WEBHOOK_SECRET not in logged.out + logged.err


def test_webhook_with_a_wrong_secret_is_refused(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNER_NHI_WEBHOOK_SECRET", "wrong")
    with WebhookReceiver(WEBHOOK_SECRET) as hook:
        sink = {"name": "hook", "type": "webhook", "url": hook.url, "secret_env": "PARTNER_NHI_WEBHOOK_SECRET"}
        report = send(store, sink).sinks[0]
    assert report.rejected and report.pending == 6 and "HTTP 401" in (report.error or "")


@pytest.mark.parametrize("fmt", ["json", "cef"])
@pytest.mark.parametrize("tls", [False, True])
def test_syslog_octet_counted_over_tcp_and_tls(tmp_path: Path, store: Store, fmt: str, tls: bool) -> None:
    server, ca_file = self_signed(tmp_path)
    with SyslogListener(server if tls else None) as collector:
        collector.reset_next = 1  # the first connection is reset: the batch stays pending, then is re-sent
        sink = {"name": "syslog", "type": "syslog", "address": collector.address, "tls": tls, "format": fmt,
                "hostname": "scanner-1", **({"ca_file": str(ca_file)} if tls else {})}  # fmt: skip
        report = send(store, sink).sinks[0]
    assert (report.acknowledged, report.retries, report.pending) == (6, 1, 0)
    assert len(collector.messages) == 6
    for message in collector.messages:
        header, body = message.split(" - ", 2)[0], message.split(" - ", 2)[2]
        pri, version = header.split(">")[0].lstrip("<"), header.split(">")[1].split(" ")[0]
        assert version == "1" and 13 * 8 <= int(pri) < 14 * 8  # facility 13 (log audit)
        assert header.split(" ")[2:4] == ["scanner-1", "partner-nhi"]
        if fmt == "cef":
            assert body.startswith("CEF:0|partner-nhi|partner-nhi|")
            assert ("cs1Label=eventUid" in body) and ("externalId=" in body)
        else:
            validate_event(json.loads(body))
    assert_all_once(store, collector.ledger.accepted, whole=fmt == "json")  # CEF carries the uid in cs1


def test_syslog_without_tls_to_another_host_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"plain TCP to siem\.example"):
        SiemSettings.model_validate({"sinks": [{"name": "s", "type": "syslog", "address": "siem.example:514"}]})
    allowed = {"name": "s", "type": "syslog", "address": "siem.example:514", "allow_plaintext": True}
    assert SiemSettings.model_validate({"sinks": [allowed]}).sinks[0].name == "s"


def test_jsonl_appends_fsynced_lines_and_mends_a_torn_one(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"torn": ')  # a crash left half a line
    report = send(store, {"name": "archive", "type": "jsonl", "path": str(path), "batch_size": 4}).sinks[0]
    lines = path.read_text().splitlines()
    assert report.acknowledged == 6 and lines[0] == '{"torn": '
    assert_all_once(store, [json.loads(line) for line in lines[1:]])


def test_jsonl_to_stdout_keeps_stdout_for_the_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = write_inputs(tmp_path, USERS, [{"name": "out", "type": "jsonl", "path": "-"}])
    url = f"sqlite:///{tmp_path}/h.db"
    scanned = run_cli(monkeypatch, "scan", "-c", str(config), "--db", url, "--no-export", "-o", str(tmp_path / "r"))
    assert scanned.code == 0
    done = run_cli(monkeypatch, "export", "-c", str(config), "--db", url)
    assert done.code == 0
    assert [json.loads(line)["class_uid"] for line in done.stdout.splitlines()] == [2004] * 5 + [6007]
    assert "out (jsonl stdout): sent 6, acknowledged 6, pending 0" in done.stderr


@pytest.mark.parametrize(
    ("sink", "accepted"),
    [
        ({"type": "splunk-hec", "url": "http://127.0.0.1:8088/services/collector/event"}, True),
        ({"type": "splunk-hec", "url": "http://[::1]:8088/services/collector/event"}, True),
        ({"type": "splunk-hec", "url": "https://splunk.example/services/collector/event"}, True),
        # read as loopback by one parser and not by another, or not loopback at all: never in clear
        ({"type": "splunk-hec", "url": "http://127.1:8088/services/collector/event"}, False),
        ({"type": "splunk-hec", "url": "http://2130706433:8088/services/collector/event"}, False),
        ({"type": "splunk-hec", "url": "http://localhost.evil.example:8088/services/collector/event"}, False),
        ({"type": "webhook", "url": "http://127.0.0.1.evil.example/hook", "secret_env": "PARTNER_NHI_HOOK"}, False),
        ({"type": "syslog", "address": "127.0.0.1:514"}, True),
        ({"type": "syslog", "address": "[::1]:514"}, True),
        ({"type": "syslog", "address": "0x7f.1:514"}, False),
        ({"type": "syslog", "address": "siem.example:514"}, False),
        ({"type": "syslog", "address": "siem.example:514", "tls": True}, True),
    ],
)
def test_plaintext_only_to_a_provable_loopback(sink: dict[str, Any], accepted: bool) -> None:
    """The same reading of an endpoint as the connectors' emulator mode (partner_nhi.endpoints)."""
    settings = {"name": "soc", "token_env": "PARTNER_NHI_HEC_TOKEN", **sink}
    if sink["type"] != "splunk-hec":
        settings.pop("token_env")
    if accepted:
        SiemSettings(sinks=[settings])
    else:
        with pytest.raises(ValueError, match="would send findings in clear"):
            SiemSettings(sinks=[settings])


def test_plaintext_to_a_localhost_that_resolves_elsewhere_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container's /etc/hosts may point localhost anywhere: the name counts only when this
    machine resolves it to loopback addresses alone."""
    import socket

    elsewhere = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("203.0.113.7", 0))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: elsewhere)
    hec = {"name": "soc", "type": "splunk-hec", "url": "http://localhost:8088/services/collector/event",
           "token_env": "PARTNER_NHI_HEC_TOKEN"}  # fmt: skip
    with pytest.raises(ValueError, match=r"localhost resolves to 203\.0\.113\.7"):
        SiemSettings(sinks=[hec])
    with pytest.raises(ValueError, match=r"localhost resolves to 203\.0\.113\.7"):
        SiemSettings(sinks=[{"name": "log", "type": "syslog", "address": "localhost:514"}])
