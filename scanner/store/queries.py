"""The read model: any run's document rebuilt from the store, page by page.

The outputs stream from here (never from the whole estate in memory), and a past run
reads back exactly as it was written: each identity in the version that run saw, each
finding with the content, status and reason that run recorded. Pages are keyset pages
(``WHERE (sort key) > (last key) ORDER BY sort key LIMIT n``): each costs the same
however deep into a large run it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, exists, func, literal, tuple_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from partner_nhi.document import finding_entry, time_text
from partner_nhi.errors import ConfigError
from partner_nhi.records import Identity
from partner_nhi.rules.model import Severity
from partner_nhi.store.tables import (
    FindingEventRow,
    FindingRow,
    FindingVersionRow,
    IdentityRow,
    IdentityVersionRow,
    RunRow,
    ScopeRow,
    SightingRow,
)
from partner_nhi.store.writes import chunks, table

PAGE = 1000


@dataclass(frozen=True)
class RunDocument:
    """One run's document: the ``run`` header now, identities and findings as they are read."""

    engine: Engine
    run: dict[str, Any]
    partner: str | None = None  # only this partner's identities and findings

    def identities(
        self,
        page: int = PAGE,
        *,
        owner: str | None = None,
        provider: str | None = None,
        kind: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The identities this run saw, as it saw them; owner (any case, as emails are) and kind
        are read from the version the run saw, so a later re-attribution does not move them."""
        for entry, _record in self._identities(page, owner=owner, provider=provider, kind=kind):
            yield entry

    def identities_with_records(self, page: int = PAGE) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Each identity's entry as this run saw it, with its full record (``details`` included)
        as last observed: what a connector needs to say how to revoke it. The record is this
        run's own unless a later run observed the identity again, which then knows better."""
        yield from self._identities(page, with_record=True)

    def _identities(
        self,
        page: int,
        *,
        owner: str | None = None,
        provider: str | None = None,
        kind: str | None = None,
        with_record: bool = False,
    ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        sightings, versions, identities = table(SightingRow).c, table(IdentityVersionRow).c, table(IdentityRow).c
        key = (sightings.provider, sightings.identity_id, sightings.identity_pk)
        record = identities.record if with_record else literal(None)
        query = (
            select_columns(*key, versions.entry, record.label("record"))
            .join_from(table(SightingRow), table(IdentityVersionRow), versions.id == sightings.version_id)
            .where(sightings.run_id == self.run["id"])
        )
        if with_record:
            query = query.join(table(IdentityRow), identities.id == sightings.identity_pk)
        if self.partner is not None:
            query = query.where(sightings.partner == self.partner)
        if provider is not None:
            query = query.where(sightings.provider == provider)
        if owner is not None:
            query = query.where(func.lower(versions.entry["owner"].as_string()) == owner.lower())
        if kind is not None:
            query = query.where(versions.entry["kind"].as_string() == kind)
        for row in _keyset(self.engine, query, key, page):
            yield row.entry, row.record

    def findings(self, page: int = PAGE, *, by_owner: bool = False) -> Iterator[dict[str, Any]]:
        """This run's findings, most severe first; ``by_owner``: grouped by partner, then owner
        (those of no partner, then of no owner, last), most severe first in each group."""
        events, findings, versions = table(FindingEventRow).c, table(FindingRow).c, table(FindingVersionRow).c
        credential = func.coalesce(findings.credential_id, "")
        groups: tuple[Any, ...] = ()
        if by_owner:
            groups = tuple(
                expression
                for column in (findings.partner, findings.owner)
                for expression in (case((column.is_(None), 1), else_=0), func.coalesce(column, ""))
            )
        key = (*groups, -events.severity_rank, findings.rule, findings.identity_id, credential, events.finding_id)
        query = (
            select_columns(
                *key,
                events.status,
                events.carried,
                events.first_seen_run,
                events.note,
                events.suppression,
                func.coalesce(versions.record, findings.record).label("content"),
            )
            .join_from(table(FindingEventRow), table(FindingRow), findings.id == events.finding_id)
            .outerjoin(table(FindingVersionRow), versions.id == events.version_id)
            .where(events.run_id == self.run["id"])
        )
        if self.partner is not None:
            query = query.where(findings.partner == self.partner)
        for row in _keyset(self.engine, query, key, page):
            yield finding_entry(row.content, row.status, row.carried, row.first_seen_run, row.note, row.suppression)

    def run_started(self, run_id: str) -> datetime | None:
        """When a run started (a finding's first run: when it was first seen)."""
        with Session(self.engine) as session:
            run = session.get(RunRow, run_id)
        return run.started if run is not None else None

    def subjects(self, findings: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
        """The identity each finding is about, as this run saw it (see :func:`identity_states`)."""
        return identity_states(self.engine, findings, self.run["id"])

    def open_trend(self, runs: int = 12) -> list[TrendPoint]:
        """Open findings in this run and the scans before it (oldest first), by severity."""
        return open_trend(self.engine, self.run["id"], self.partner, runs)


def identity_states(
    engine: Engine, findings: Iterable[dict[str, Any]], run_id: str | None = None
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The identity entries of these findings, by (connector, scope, identity id): as run
    ``run_id`` saw each, else (a carried finding's identity, or no run) as last observed."""
    wanted = {(f["connector"], f["scope"], f["identity"]) for f in findings}
    identities, sightings, versions = table(IdentityRow).c, table(SightingRow).c, table(IdentityVersionRow).c
    seen_by_run = sightings.version_id if run_id is not None else literal(None)
    query = select_columns(identities.connector, identities.scope, identities.identity_id, versions.entry)
    if run_id is not None:
        query = query.join_from(
            table(IdentityRow),
            table(SightingRow),
            (sightings.identity_pk == identities.id) & (sightings.run_id == run_id),
            isouter=True,
        )
    query = query.join(table(IdentityVersionRow), versions.id == func.coalesce(seen_by_run, identities.version_id))
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    names = sorted({identity for _, _, identity in wanted})
    with Session(engine) as session:
        for part in chunks(names):
            for row in session.execute(query.where(identities.identity_id.in_(part))):
                key = (row.connector, row.scope, row.identity_id)
                if key in wanted:
                    found[key] = row.entry
    return found


@dataclass(frozen=True)
class TrendPoint:
    run_id: str
    started: datetime
    status: str
    open_by_severity: dict[str, int]

    @property
    def open(self) -> int:
        return sum(self.open_by_severity.values())


def _scanned() -> Any:
    """Runs that observed at least one scope (a ``scopes retire`` run observed none)."""
    scopes = table(ScopeRow).c
    return exists().where(scopes.run_id == table(RunRow).c.id, scopes.observed_at.is_not(None))


def open_trend(engine: Engine, run_id: str, partner: str | None, runs: int) -> list[TrendPoint]:
    """Open (new or open) findings per finished scan up to ``run_id``, oldest first."""
    rows, events, findings = table(RunRow).c, table(FindingEventRow).c, table(FindingRow).c
    with Session(engine) as session:
        until = session.execute(select_columns(rows.started).where(rows.id == run_id)).scalar_one()
        recent = session.execute(
            select_columns(rows.id, rows.started, rows.status)
            .where(rows.started <= until, rows.status != "running", _scanned())
            .order_by(rows.started.desc(), rows.id.desc())
            .limit(runs)
        ).all()
        counts = (
            select_columns(events.run_id, events.severity_rank, func.count())
            .where(events.run_id.in_([row.id for row in recent]), events.status != "resolved")
            .group_by(events.run_id, events.severity_rank)
        )
        if partner is not None:
            counts = counts.join_from(table(FindingEventRow), table(FindingRow), findings.id == events.finding_id)
            counts = counts.where(findings.partner == partner)
        tally: dict[str, Counter[str]] = {row.id: Counter() for row in recent}
        for run, rank, count in session.execute(counts):
            tally[run][list(Severity)[rank].value] += count
    return [TrendPoint(row.id, row.started, row.status, dict(tally[row.id])) for row in reversed(recent)]


@dataclass(frozen=True)
class RunSummary:
    """One run as ``partner-nhi runs`` lists it."""

    id: str
    command: str
    status: str
    started: datetime
    finished: datetime | None
    error: str | None
    identities: int = 0
    findings: dict[str, int] = field(default_factory=dict)  # by status: new, open, resolved
    scopes: dict[str, int] = field(default_factory=dict)  # by status: complete, partial, failed, skipped

    @property
    def duration_seconds(self) -> float | None:
        return (self.finished - self.started).total_seconds() if self.finished else None


def run_history(engine: Engine, page: int = 50) -> Iterator[RunSummary]:
    """Every run, newest first, a page at a time, each with its counts."""
    rows = table(RunRow).c
    key = (rows.started, rows.id)
    last: tuple[Any, ...] | None = None
    while True:
        query = select_columns(table(RunRow)).order_by(rows.started.desc(), rows.id.desc()).limit(page)
        if last is not None:
            query = query.where(tuple_(*key) < tuple_(*(literal(value) for value in last)))
        with Session(engine) as session:
            found = session.execute(query).all()
            yield from _summaries(session, found)
        if len(found) < page:
            return
        last = (found[-1].started, found[-1].id)


def _summaries(session: Session, runs: Sequence[Any]) -> Iterator[RunSummary]:
    ids = [run.id for run in runs]
    events, sightings, scopes = table(FindingEventRow).c, table(SightingRow).c, table(ScopeRow).c
    findings: dict[str, dict[str, int]] = {run_id: {} for run_id in ids}
    by_status = select_columns(events.run_id, events.status, func.count()).where(events.run_id.in_(ids))
    for run_id, status, count in session.execute(by_status.group_by(events.run_id, events.status)):
        findings[run_id][status] = count
    seen = select_columns(sightings.run_id, func.count()).where(sightings.run_id.in_(ids))
    identities = {run_id: count for run_id, count in session.execute(seen.group_by(sightings.run_id))}
    scope_counts: dict[str, dict[str, int]] = {run_id: {} for run_id in ids}
    listed = select_columns(scopes.run_id, scopes.status, func.count()).where(scopes.run_id.in_(ids))
    for run_id, status, count in session.execute(listed.group_by(scopes.run_id, scopes.status)):
        scope_counts[run_id][status] = count
    for run in runs:
        yield RunSummary(
            run.id,
            run.command,
            run.status,
            run.started,
            run.finished,
            run.error,
            identities.get(run.id, 0),
            findings[run.id],
            scope_counts[run.id],
        )


def _keyset(engine: Engine, query: Any, key: tuple[Any, ...], page: int) -> Iterator[Any]:
    """Every row of ``query`` in ``key`` order, one short transaction per page."""
    last: tuple[Any, ...] | None = None
    width = len(key)
    while True:
        paged = query.order_by(*key).limit(page)
        if last is not None:
            paged = paged.where(tuple_(*key) > tuple_(*(literal(value) for value in last)))
        with Session(engine) as session:
            rows = session.execute(paged).all()
        yield from rows
        if len(rows) < page:
            return
        last = tuple(rows[-1][:width])


def run_document(engine: Engine, run_id: str, partner: str | None = None) -> RunDocument:
    with Session(engine) as session:
        run = session.get(RunRow, run_id)
        if run is None:
            raise ConfigError(f"--run: no run {run_id!r} in the store")
        scopes = session.exec(
            select(ScopeRow).where(ScopeRow.run_id == run_id).order_by(col(ScopeRow.connector), col(ScopeRow.scope))
        ).all()
        header = {
            "id": run.id,
            "command": run.command,
            "started": time_text(run.started),
            "finished": time_text(run.finished),
            "status": run.status,
            "error": run.error,
            "warnings": list(run.warnings),
            "scopes": [scope.entry for scope in scopes],
            "api_calls": sum(scope.api_calls for scope in scopes),
        }
    return RunDocument(engine, header, partner)


def latest_complete_scan(engine: Engine) -> str:
    """The last complete run that observed something: what the sweep answers from without a scan."""
    rows = table(RunRow).c
    with Session(engine) as session:
        found = session.execute(
            select_columns(rows.id)
            .where(rows.status == "complete", _scanned())
            .order_by(rows.started.desc(), rows.id.desc())
            .limit(1)
        ).scalar()
    if found is None:
        raise ConfigError("--from-store: the store holds no complete run; scan first")
    return str(found)


def resolve_run(engine: Engine, run: str) -> str:
    """A run id, the unique start of one (``partner-nhi runs`` shows 8 characters), or
    ``latest``: the last run that finished."""
    if run != "latest":
        rows = table(RunRow).c
        escaped = run.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with Session(engine) as session:
            if session.get(RunRow, run) is not None:
                return run
            found = session.execute(
                select_columns(rows.id).where(rows.id.like(escaped + "%", escape="\\")).limit(2)
            ).scalars()
            matches = list(found)
        if len(matches) > 1:
            raise ConfigError(f"--run: {run!r} starts more than one run id; give more of it")
        return str(matches[0]) if matches else run  # an unknown id is reported where it is read
    with Session(engine) as session:
        row = session.exec(
            select(RunRow).where(RunRow.status != "running").order_by(col(RunRow.started).desc())
        ).first()
    if row is None:
        raise ConfigError("--run latest: the store holds no finished run")
    return row.id


def latest_scan(engine: Engine) -> str:
    """The last finished run that observed something, complete or not: what ``registry suggest
    --from-store`` and ``registry diff`` read (they say when it was not complete)."""
    rows = table(RunRow).c
    with Session(engine) as session:
        found = session.execute(
            select_columns(rows.id)
            .where(rows.status != "running", _scanned())
            .order_by(rows.started.desc(), rows.id.desc())
            .limit(1)
        ).scalar()
    if found is None:
        raise ConfigError("the store holds no finished scan: run `partner-nhi scan` first")
    return str(found)


def seen_identities(document: RunDocument) -> Iterator[Identity]:
    """The normalized record of every identity a run saw (see :meth:`RunDocument.identities_with_records`)."""
    for _entry, record in document.identities_with_records():
        yield Identity.model_validate(record)


def known_identities(engine: Engine, page: int = PAGE) -> Iterator[tuple[str, tuple[str, ...], str | None]]:
    """Every identity history knows, gone or not: (native id, aliases, the run that found it gone)."""
    identities = table(IdentityRow).c
    query = select_columns(identities.id, identities.identity_id, identities.gone_run, identities.record)
    for row in _keyset(engine, query, (identities.id,), page):
        yield row.identity_id, tuple(row.record.get("aliases", ())), row.gone_run
