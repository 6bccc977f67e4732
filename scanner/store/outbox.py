"""The transactional outbox: SIEM events written with the history they describe, and read
back for delivery sink by sink.

:func:`enqueue_finding_events` runs inside each scope's commit (:func:`partner_nhi.store.writes.persist`)
and :func:`enqueue_run_health` inside the transaction that records a run's end, so an event
exists exactly when its change was committed: a scope whose transaction rolls back leaves
neither. Which change makes an event is decided by :func:`partner_nhi.siem.events.decide_changes`.

Delivery reads each sink's unacknowledged events in ``id`` order and records an
acknowledgement per (sink, event) in the same transaction, under the sink's lock; an event
every configured sink acknowledged is pruned once older than the retention.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exists, func, insert, update
from sqlalchemy import select as select_columns
from sqlmodel import Session

from partner_nhi.history import ScopeDecision
from partner_nhi.siem.events import (
    Change,
    FindingTimes,
    RunHealth,
    ScopeHealth,
    decide_changes,
    detection_finding,
    event_uid,
    scan_activity,
)
from partner_nhi.store.tables import (
    AnnouncedFindingRow,
    DeliveryRow,
    FindingEventRow,
    FindingRow,
    OutboxRow,
    RunRow,
    ScopeRow,
)
from partner_nhi.store.writes import BATCH, chunks, table

RUN_HEALTH = "run-health"  # the subject of a run's health event


def enqueue_finding_events(session: Session, run_id: str, connector: str, scope: str, decision: ScopeDecision) -> int:
    """Write the events of one scope's decision; returns how many."""
    if not any(not finding.carried for finding in decision.findings):
        return 0
    session.flush()  # this scope's rows, just added, are read back below
    ids = [finding.id for finding in decision.findings if not finding.carried]
    announced = _announced(session, ids)
    credentials = {
        (judged.identity.id, credential.id): "active" if credential.active else "inactive"
        for judged in decision.identities
        for credential in judged.identity.credentials
    }
    changes = decide_changes(decision.findings, announced, credentials)
    if not changes:
        return 0
    now = datetime.now(UTC)
    seen = _observed_times(session, run_id, connector, scope, changes)

    def row(change: Change) -> dict[str, Any]:
        finding = change.finding
        uid = event_uid(run_id, finding.id)
        last_seen_run = seen.last_seen_runs.get(finding.id, run_id)
        times = FindingTimes(now, seen.at(finding.first_seen_run), seen.at(last_seen_run))
        status = credentials.get((finding.identity, finding.credential)) if finding.credential else None
        event = detection_finding(finding.model_dump(mode="json"), change.activity, uid, times, status)
        return {
            "uid": uid,
            "run_id": run_id,
            "finding_id": finding.id,
            "activity": change.activity.value,
            "created": now,
            "event": event,
        }

    for batch in chunks(changes, BATCH):  # events are large: a batch of them at a time
        session.execute(insert(OutboxRow), [row(change) for change in batch])
    _remember(session, run_id, [change for change in changes if change.finding.status != "resolved"], announced)
    return len(changes)


def enqueue_run_health(session: Session, run: RunRow) -> bool:
    """Write the run's health event once it has finished (a sharded run: once its status is
    settled). Returns whether one was written: never twice for one run."""
    if run.status == "running":
        return False
    uid = event_uid(run.id, RUN_HEALTH)
    if session.execute(select_columns(table(OutboxRow).c.id).where(table(OutboxRow).c.uid == uid)).first():
        return False
    scopes = table(ScopeRow).c
    rows = session.execute(
        select_columns(scopes.connector, scopes.scope, scopes.status, scopes.error, scopes.identity_count)
        .where(scopes.run_id == run.id)
        .order_by(scopes.connector, scopes.scope)
    ).all()
    events = table(FindingEventRow).c
    counts = dict(
        session.execute(
            select_columns(events.status, func.count())
            .where(events.run_id == run.id, events.carried.is_(False))
            .group_by(events.status)
        ).all()
    )
    health = RunHealth(
        run_id=run.id,
        command=run.command,
        status=run.status,
        error=run.error,
        started=run.started,
        finished=run.finished,
        scopes=[ScopeHealth(row.connector, row.scope, row.status, row.error) for row in rows],
        identities=sum(row.identity_count for row in rows),
        open_findings=counts.get("new", 0) + counts.get("open", 0),
        resolved_findings=counts.get("resolved", 0),
    )
    now = datetime.now(UTC)
    event = scan_activity(health, uid, now)
    row = {"uid": uid, "run_id": run.id, "finding_id": None, "activity": event["activity_name"], "created": now}
    session.execute(insert(OutboxRow), [{**row, "event": event}])
    return True


@dataclass(frozen=True)
class _Seen:
    """When each run involved observed this scope (its run's start where it recorded no scope)."""

    times: dict[str, datetime]
    last_seen_runs: dict[str, str]  # a resolved finding's last sighting

    def at(self, run_id: str | None) -> datetime | None:
        return self.times.get(run_id) if run_id else None


def _observed_times(session: Session, run_id: str, connector: str, scope: str, changes: Sequence[Change]) -> _Seen:
    findings = table(FindingRow).c
    resolved = [change.finding.id for change in changes if change.finding.status == "resolved"]
    last_seen: dict[str, str] = {}
    for part in chunks(resolved):
        query = select_columns(findings.id, findings.last_seen_run).where(findings.id.in_(part))
        last_seen.update((row.id, row.last_seen_run) for row in session.execute(query))
    runs = {run_id, *last_seen.values(), *(c.finding.first_seen_run for c in changes if c.finding.first_seen_run)}
    times: dict[str, datetime] = {}
    scopes, run_rows = table(ScopeRow).c, table(RunRow).c
    for part in chunks(sorted(runs)):
        started = select_columns(run_rows.id, run_rows.started).where(run_rows.id.in_(part))
        times.update((row.id, row.started) for row in session.execute(started))
        observed = select_columns(scopes.run_id, scopes.observed_at).where(
            scopes.connector == connector,
            scopes.scope == scope,
            scopes.run_id.in_(part),
            scopes.observed_at.is_not(None),
        )
        times.update((row.run_id, row.observed_at) for row in session.execute(observed))
    return _Seen(times, last_seen)


def _announced(session: Session, finding_ids: Sequence[str]) -> dict[str, str]:
    rows = table(AnnouncedFindingRow).c
    announced: dict[str, str] = {}
    for part in chunks(finding_ids):
        query = select_columns(rows.finding_id, rows.fingerprint).where(rows.finding_id.in_(part))
        announced.update((row.finding_id, row.fingerprint) for row in session.execute(query))
    return announced


def _remember(session: Session, run_id: str, changes: Iterable[Change], announced: dict[str, str]) -> None:
    """Store what this run announced of each finding it created or updated."""
    new: list[dict[str, str]] = []
    changed: list[dict[str, str]] = []
    for change in changes:
        values = {"finding_id": change.finding.id, "fingerprint": change.fingerprint, "run_id": run_id}
        (changed if change.finding.id in announced else new).append(values)
    if new:
        session.execute(insert(AnnouncedFindingRow), new)
    if changed:
        session.execute(update(AnnouncedFindingRow), changed)


# -- delivery ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxEvent:
    id: int
    uid: str
    activity: str
    event: dict[str, Any]


def _unacknowledged(sink: str) -> Any:
    outbox, deliveries = table(OutboxRow).c, table(DeliveryRow).c
    return ~exists().where(deliveries.sink == sink, deliveries.event_id == outbox.id)


def pending_events(session: Session, sink: str, after: int, limit: int) -> list[OutboxEvent]:
    """The next events ``sink`` has not acknowledged, oldest first, after ``after``."""
    outbox = table(OutboxRow).c
    query = (
        select_columns(outbox.id, outbox.uid, outbox.activity, outbox.event)
        .where(outbox.id > after, _unacknowledged(sink))
        .order_by(outbox.id)
        .limit(limit)
    )
    return [OutboxEvent(row.id, row.uid, row.activity, row.event) for row in session.execute(query)]


def pending_count(session: Session, sink: str) -> int:
    outbox = table(OutboxRow).c
    return int(session.execute(select_columns(func.count(outbox.id)).where(_unacknowledged(sink))).scalar_one())


def acknowledge(session: Session, sink: str, event_ids: Sequence[int]) -> None:
    now = datetime.now(UTC)
    session.execute(insert(DeliveryRow), [{"sink": sink, "event_id": i, "acknowledged": now} for i in event_ids])


def prune(session: Session, sinks: Sequence[str], before: datetime) -> int:
    """Delete the events created before ``before`` that every one of ``sinks`` acknowledged
    (with no sink configured, nobody waits for them). Returns how many were deleted."""
    outbox, deliveries = table(OutboxRow).c, table(DeliveryRow).c
    done = [
        outbox.created < before,
        *(exists().where(deliveries.sink == sink, deliveries.event_id == outbox.id) for sink in sinks),
    ]
    ids = [row.id for row in session.execute(select_columns(outbox.id).where(*done))]
    for part in chunks(ids):
        session.execute(delete(DeliveryRow).where(deliveries.event_id.in_(part)))
        session.execute(delete(OutboxRow).where(outbox.id.in_(part)))
    return len(ids)
