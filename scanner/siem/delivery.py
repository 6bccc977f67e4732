"""Delivery: each sink gets, in order, every outbox event it has not acknowledged.

For each sink, one batch at a time: a transaction takes the sink's lock (PostgreSQL: an
advisory lock named for the sink; SQLite: the store's write lock), reads the next events
that sink has not acknowledged, sends them, and records their acknowledgement only when
the sink returned (its receiver said yes); then it commits. So:

- a crash or kill between send and commit leaves no acknowledgement: the batch is sent
  again later with the same ``metadata.uid`` (at least once; a receiver can de-duplicate);
- an acknowledged event is never read for that sink again, and two exports at once never
  hold the same sink's batch: the second waits for the first's commit, then reads past it;
- each sink has its own acknowledgements and its own thread: one that is down or slow
  holds back no other.

A failed batch is retried in this run after a doubling, jittered delay (or the receiver's
Retry-After), up to ``siem.retry.attempts``; then that sink stops for this run, its events
pending for the next ``scan`` or ``export``. A sink that rejects the configuration is not
retried. Events every configured sink acknowledged are pruned after ``retention_days``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from partner_nhi.errors import ConfigError
from partner_nhi.siem.config import DeliveryRetry, SiemSettings
from partner_nhi.siem.sinks import DeliveryFailed, Sink, SinkRejected, open_sink
from partner_nhi.store import Store
from partner_nhi.store.outbox import acknowledge, pending_count, pending_events, prune

log = structlog.get_logger(__name__)

SINK_LOCK = "siem-sink"


@dataclass
class SinkReport:
    """What one delivery did for one sink, in events: ``sent`` were handed to the receiver at
    least once (a retried event counts once), ``failed`` of them were still unacknowledged when
    it ended, so ``sent == acknowledged + failed``; ``retries`` counts the waits before sending
    a failed batch again."""

    name: str
    description: str
    sent: int = 0
    acknowledged: int = 0
    failed: int = 0
    retries: int = 0
    pending: int = 0  # still unacknowledged when the delivery ended
    error: str | None = None
    rejected: bool = False  # the receiver refused the configuration


@dataclass(frozen=True)
class DeliveryResult:
    sinks: list[SinkReport] = field(default_factory=list)
    pruned: int = 0
    dry_run: bool = False

    @property
    def pending(self) -> int:
        return sum(report.pending for report in self.sinks)

    @property
    def rejected(self) -> bool:
        return any(report.rejected for report in self.sinks)


def deliver(
    store: Store,
    settings: SiemSettings,
    only: str | None = None,
    dry_run: bool = False,
    stop: threading.Event | None = None,
) -> DeliveryResult:
    """Send each chosen sink's pending events (``only``: one sink by name). Every sink's
    secret is read before anything is sent: a missing one is a ConfigError."""
    chosen = [sink for sink in settings.sinks if only is None or sink.name == only]
    if only is not None and not chosen:
        names = ", ".join(sink.name for sink in settings.sinks) or "none"
        raise ConfigError(f"--sink: no sink named {only!r} (configured: {names})")
    stop = stop or threading.Event()
    sinks: list[Sink] = []
    try:
        for sink_settings in chosen:
            sinks.append(open_sink(sink_settings, stop))
        if dry_run:
            return DeliveryResult([_count(store, sink) for sink in sinks], dry_run=True)
        with ThreadPoolExecutor(max_workers=max(1, len(sinks)), thread_name_prefix="sink") as pool:
            futures = [
                pool.submit(_deliver_to, store, sink, options.batch_size, settings.retry, stop)
                for sink, options in zip(sinks, chosen, strict=True)
            ]
            reports = [future.result() for future in futures]
    finally:
        stop.set()  # on any way out (Ctrl-C included), the other sinks stop at their next wait
        for sink in sinks:
            sink.close()
    cutoff = datetime.now(UTC) - timedelta(days=settings.retention_days)
    with store.exclusive() as session:
        pruned = prune(session, [sink.name for sink in settings.sinks], cutoff)
    return DeliveryResult(reports, pruned)


def _count(store: Store, sink: Sink) -> SinkReport:
    with store.exclusive() as session:
        return SinkReport(sink.name, sink.describe(), pending=pending_count(session, sink.name))


def _deliver_to(store: Store, sink: Sink, batch_size: int, retry: DeliveryRetry, stop: threading.Event) -> SinkReport:
    report = SinkReport(sink.name, sink.describe())
    after, failures = 0, 0
    handed: set[int] = set()
    while not stop.is_set():
        with store.exclusive(SINK_LOCK, sink.name) as session:
            batch = pending_events(session, sink.name, after, batch_size)
            if not batch:
                break
            handed.update(event.id for event in batch)
            try:
                sink.send(batch)
            except SinkRejected as exc:
                report.error, report.rejected = str(exc), True
                break
            except DeliveryFailed as exc:
                failure = exc
            else:
                acknowledge(session, sink.name, [event.id for event in batch])
                report.acknowledged += len(batch)
                after, failures = batch[-1].id, 0
                continue
        failures += 1
        delay = _delay(failures, retry, failure.retry_after)
        if failures >= retry.attempts or delay is None:
            why = f"gave up after {failures} attempt(s)" if delay is not None else "asked to wait too long"
            report.error = f"{failure} ({why}; the events stay pending for the next scan or export)"
            break
        report.retries += 1
        log.warning("siem.retry", sink=sink.name, attempt=failures, error=str(failure), delay=round(delay, 3))
        if stop.wait(delay):
            break
    report.sent = len(handed)
    report.failed = report.sent - report.acknowledged
    with store.exclusive() as session:
        report.pending = pending_count(session, sink.name)
    log.info(
        "siem.delivered", sink=sink.name, acknowledged=report.acknowledged, failed=report.failed, pending=report.pending
    )
    return report


def _delay(failures: int, retry: DeliveryRetry, retry_after: float | None) -> float | None:
    """The wait before the next attempt: doubling from ``initial_delay`` up to ``max_delay``,
    jittered (half fixed, half random) so that many exporters do not retry in step; at least
    the receiver's Retry-After, or ``None`` when that exceeds ``max_retry_after``."""
    if retry_after is not None and retry_after > retry.max_retry_after:
        return None
    ceiling = min(retry.max_delay, retry.initial_delay * 2.0 ** (failures - 1))
    jittered = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(jittered, retry_after or 0.0)


def summary_lines(result: DeliveryResult) -> Sequence[str]:
    """One line per sink (and its error, if any): what ``export`` prints."""
    lines = []
    for report in result.sinks:
        if result.dry_run:
            lines.append(f"{report.description}: {report.pending} pending (dry run: nothing sent)")
            continue
        lines.append(
            f"{report.description}: sent {report.sent}, acknowledged {report.acknowledged}, "
            f"pending {report.pending}, failed {report.failed}, retries {report.retries}"
        )
        if report.error:
            lines.append(f"  {report.name}: {'configuration refused: ' if report.rejected else ''}{report.error}")
    return lines
