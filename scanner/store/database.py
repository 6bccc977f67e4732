"""The store: history across runs, written one scope at a time.

Each scope's observations are folded into history in their own transaction, under a
lock of that scope only (PostgreSQL: a transaction-scoped advisory lock keyed by
connector and scope; SQLite: its one write lock, taken at ``BEGIN IMMEDIATE``). Two
runs or shards on different scopes never wait on each other; two on one scope
serialise, and the one whose listing is older than what is stored changes nothing.
What to write is decided by :mod:`partner_nhi.history`; this module only persists it.
A run that breaks before a scope's commit leaves that scope's history untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, event, func, insert, inspect, or_, text
from sqlalchemy import select as select_columns
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlmodel import Session, col, create_engine, select

from partner_nhi.connector import Scope, UnitStatus
from partner_nhi.errors import ConfigError
from partner_nhi.history import (
    ScopeDecision,
    StoredFinding,
    StoredIdentity,
    carry_scope,
    reconcile_scope,
    retire_scope,
)
from partner_nhi.results import AcceptedRisk, Finding, JudgedIdentity, RunResult, ScopeResult
from partner_nhi.shards import Shard, combined_status
from partner_nhi.store.outbox import enqueue_finding_events, enqueue_run_health
from partner_nhi.store.queries import RunDocument, resolve_run, run_document
from partner_nhi.store.tables import (
    AcceptedRiskUseRow,
    FindingEventRow,
    FindingRow,
    IdentityRow,
    RunRow,
    RunShardRow,
    ScopeStateRow,
)
from partner_nhi.store.writes import persist, table, write_scope_rows

_SCHEMA_LOCK = 0x706E68695F736368  # "pnhi_sch": migrations, once per database


# What a run shows of each finding of a decision, before it is written: the accepted risk it matched.
Review = Callable[[list[Finding]], list[Finding]]


MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_HEAD = "0007"  # the latest revision: a store already there opens without loading alembic


def schema_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return str(revision) if revision is not None else None


def migrate(connection: Connection) -> None:
    """Bring the schema to the latest revision."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def schema_problem(connection: Connection) -> str | None:
    """Why a database cannot be read as it is (no history in it, or another schema revision),
    or ``None``. Read-only commands check this instead of migrating."""
    current = schema_revision(connection)
    if current is None:
        return "holds no partner-nhi history (a scan creates it)"
    if current != SCHEMA_HEAD:
        return f"has schema revision {current}, this partner-nhi reads {SCHEMA_HEAD} (a scan migrates it)"
    return None


def _create_private(path: str | None) -> None:
    """A new SQLite file is created 0600 before SQLite creates it with the umask's mode: the store
    maps an estate's identities and who holds them (SQLite gives its WAL files the same mode)."""
    if not path or path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # a race, or no folder: SQLite says which
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _engine(url: str, read_only: bool = False) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})
            if not read_only:
                _create_private(engine.url.database)

            @event.listens_for(engine, "connect")
            def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
                cursor = dbapi_connection.cursor()
                if not read_only:
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=60000")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()

            @event.listens_for(engine, "begin")
            def _sqlite_begin(connection: Any) -> None:
                # a reader takes no write lock: it never waits for, nor holds up, a scan's commit
                connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

            return engine
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError, ValueError) as exc:
        problem = str(exc).replace(url, masked_url(url))
        raise ConfigError(f"--db / database: cannot use {masked_url(url)}: {problem}") from None


_PASSWORD = re.compile(r"(?<=://)([^:/?#@]*):[^@/?#]*@")


def masked_url(url: str) -> str:
    """A database URL as it may be shown: the password replaced by ``***``, even in a URL
    too broken for SQLAlchemy to parse."""
    return _PASSWORD.sub(r"\1:***@", url)


def _lock_key(*parts: str) -> int:
    """A signed 64-bit advisory-lock key for one scope."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True)
class KnownScope:
    """A scope history knows of: where it stands, for ``partner-nhi scopes``."""

    connector: str
    scope: str
    observed_at: datetime | None
    run_id: str | None
    open_findings: int
    identities: int
    retired_run: str | None
    retired_reason: str | None


class Store:
    """``read_only``: for commands that only read history. The database must exist (none is
    created for a mistyped path) and be at this version's schema (none is migrated)."""

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self.url = url
        self.engine = _engine(url, read_only)
        if read_only:
            self._require_file()
        try:
            with self.engine.begin() as connection:
                if read_only:
                    problem = schema_problem(connection)
                    if problem:
                        raise ConfigError(f"--db / database: {self._safe_url()} {problem}")
                else:
                    self._lock(connection, _SCHEMA_LOCK)
                    if schema_revision(connection) != SCHEMA_HEAD:
                        migrate(connection)
        except DatabaseError as exc:  # unreachable, refused, not a database at all: bad input, exit 2
            detail = str(exc.orig).strip().replace(self.url, self._safe_url()) or type(exc.orig).__name__
            raise ConfigError(f"--db / database: cannot open {self._safe_url()}: {detail}") from None

    def _require_file(self) -> None:
        """SQLite creates a missing file on connect: a reader checks first."""
        if self.engine.dialect.name != "sqlite":
            return
        path = self.engine.url.database
        if not path or path == ":memory:":
            raise ConfigError("--db / database: an in-memory SQLite database holds no history to read")
        if not Path(path).is_file():
            raise ConfigError(f"--db / database: no database at {path} (reading never creates one)")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _safe_url(self) -> str:
        return masked_url(self.url)

    @contextmanager
    def exclusive(self, *lock: str) -> Iterator[Session]:
        """One transaction holding the lock named by ``lock``: PostgreSQL's advisory lock of that
        name, SQLite's one write lock. What it reads and writes no other holder sees half-done."""
        with self._transaction(*lock) as session:
            yield session

    def _lock(self, connection: Any, key: int) -> None:
        if self.engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    @contextmanager
    def _transaction(self, *lock: str) -> Iterator[Session]:
        """One transaction; on PostgreSQL holding the lock of ``lock`` (a connector and scope)."""
        with Session(self.engine) as session, session.begin():
            if lock:
                self._lock(session.connection(), _lock_key(*lock))
            yield session

    # -- runs ------------------------------------------------------------------

    def begin_run(self, run: RunResult, shard: Shard | None = None) -> None:
        """Record a run as running. The shards of one run share its id: the first creates the
        run, each records its own part."""
        if shard is None:
            with self._transaction() as session:
                session.add(RunRow(id=run.id, command=run.command, started=run.started))
            return
        if self.engine.dialect.name != "postgresql":
            raise ConfigError(
                "--shard needs a PostgreSQL store (--db postgresql://...): shards run in separate pods, "
                "and on SQLite every write takes the one database lock"
            )
        with self._transaction("run", run.id) as session:
            existing = session.get(RunRow, run.id)
            if existing is None:
                session.add(RunRow(id=run.id, command=run.command, started=run.started, shards=shard.count))
            elif existing.shards != shard.count:
                raise ConfigError(
                    f"--shard {shard}: run {run.id} was started with {existing.shards or 1} shard(s), not {shard.count}"
                )
            session.flush()
            part = session.get(RunShardRow, (run.id, shard.index)) or RunShardRow(
                run_id=run.id, shard=shard.index, shards=shard.count, started=run.started
            )
            part.started, part.finished, part.status, part.error = run.started, None, "running", None
            session.add(part)

    def finish_run(self, run: RunResult, shard: Shard | None = None, deadline: timedelta | None = None) -> None:
        """Record the run's end: its status from its scopes, or failed with its error. A shard
        records its part; the run is complete only when every shard reported complete."""
        finished = run.finished or datetime.now(UTC)
        with self._transaction("run", run.id) as session:
            row = session.get(RunRow, run.id) or RunRow(id=run.id, command=run.command, started=run.started)
            row.warnings = [*row.warnings, *(w for w in run.warnings if w not in row.warnings)]
            if shard is None:
                row.finished, row.status, row.error = finished, run.status, run.error
                session.add(row)
                session.flush()
                enqueue_run_health(session, row)
                return
            part = session.get(RunShardRow, (run.id, shard.index))
            assert part is not None, "begin_run records every shard"
            part.finished, part.status, part.error = finished, run.status, run.error
            session.add(part)
            session.flush()
            self._settle(session, row, deadline)

    def settle_runs(self, deadline: timedelta) -> None:
        """Sharded runs some shard of which never reported: past ``deadline`` they are partial."""
        with Session(self.engine) as session:
            waiting = session.exec(select(RunRow).where(RunRow.status == "running", col(RunRow.shards).is_not(None)))
            overdue = [row.id for row in waiting if datetime.now(UTC) - row.started > deadline]
        for run_id in overdue:
            with self._transaction("run", run_id) as session:
                row = session.get(RunRow, run_id)
                if row is not None:
                    self._settle(session, row, deadline)

    def _settle(self, session: Session, row: RunRow, deadline: timedelta | None) -> None:
        parts = session.exec(select(RunShardRow).where(RunShardRow.run_id == row.id)).all()
        reported = [part for part in parts if part.status != "running"]
        overdue = deadline is not None and datetime.now(UTC) - row.started > deadline
        row.status = combined_status([part.status for part in reported], row.shards or 1, overdue)
        if reported:
            row.finished = max(part.finished or row.started for part in reported)
        missing = sorted(set(range(row.shards or 1)) - {part.shard for part in reported})
        errors = [f"shard {part.shard}: {part.error}" for part in reported if part.error]
        if missing and row.status == "partial":
            errors.append(f"shard(s) {', '.join(map(str, missing))} never reported before the deadline")
        row.error = "; ".join(errors) or None
        session.add(row)
        session.flush()
        enqueue_run_health(session, row)

    # -- one scope ---------------------------------------------------------------

    def commit_scope(
        self,
        run_id: str,
        scope: ScopeResult,
        judged: list[JudgedIdentity],
        findings: list[Finding],
        undetermined: dict[str, str],
        review: Review | None = None,
    ) -> ScopeDecision:
        """Fold one scanned scope into history, in one transaction under the scope's lock.

        A scope a later listing already reached (another run committed first) is recorded
        as observed and superseded: its history is left as the newer run made it. ``review``
        annotates every finding the run shows, carried ones included, before it is written."""
        with self._transaction(scope.connector, scope.scope.id) as session:
            state = session.get(ScopeStateRow, (scope.connector, scope.scope.id))
            stored = self._stored_findings(session, scope.connector, scope.scope.id)
            if state is not None and state.observed_at > scope.observed_at:
                scope = replace(scope, superseded_by=state.run_id)
                decision = carry_scope(
                    stored,
                    f"superseded: run {state.run_id} observed this scope at {state.observed_at.isoformat()}, "
                    f"after this run's listing began ({scope.observed_at.isoformat()})",
                    superseded_by=state.run_id,
                )
            else:
                decision = reconcile_scope(
                    run_id,
                    scope.complete_units(),
                    judged,
                    findings,
                    undetermined,
                    stored,
                    self._stored_identities(session, scope.connector, scope.scope.id),
                    incomplete=_incomplete_units(scope),
                )
                if scope.status is UnitStatus.FAILED:  # it saw nothing: it must not hide an older listing
                    decision = replace(decision, gone=[], identities=[], advances=False)
            if review is not None:
                decision = replace(decision, findings=review(decision.findings))
            write_scope_rows(session, run_id, scope)
            _persist(session, run_id, scope.connector, scope.scope.id, decision)
            if decision.advances:
                self._advance(session, state, scope, run_id)
        return decision

    def carry_unscanned(
        self,
        run_id: str,
        connectors: Iterable[str],
        scanned: set[tuple[str, str]],
        reasons: dict[str, str],
        shard: Shard | None = None,
        review: Review | None = None,
    ) -> list[tuple[ScopeResult, ScopeDecision]]:
        """Scopes of these connectors that history knows (open findings or identities not gone)
        but this run did not scan: their open findings are carried with the reason, never
        resolved, and the run names them. ``reasons`` gives a connector's reason (e.g. its
        discovery failed); the default says how to retire a scope removed on purpose."""
        carried = []
        for known in self.known_scopes(connectors):
            key = (known.connector, known.scope)
            if key in scanned or known.retired_run is not None or not (known.open_findings or known.identities):
                continue
            if shard is not None and not shard.owns(*key):
                continue  # another shard's scope
            reason = reasons.get(known.connector) or (
                "not scanned in this run: not in the configuration; if it was removed on purpose, "
                f"run `partner-nhi scopes retire {known.connector} {known.scope}`"
            )
            scope = ScopeResult(known.connector, Scope(known.connector, known.scope), [], [], not_scanned=reason)
            with self._transaction(known.connector, known.scope) as session:
                decision = carry_scope(self._stored_findings(session, known.connector, known.scope), reason)
                if review is not None:
                    decision = replace(decision, findings=review(decision.findings))
                write_scope_rows(session, run_id, scope)
                _persist(session, run_id, known.connector, known.scope, decision)
            carried.append((scope, decision))
        return carried

    def retire_scope(self, connector: str, scope: str, reason: str) -> tuple[str, int]:
        """Resolve every open finding of a scope removed on purpose, and mark its identities
        gone, as one recorded action (a run of its own). Returns that run's id and how many
        findings it resolved."""
        run_id, now = str(uuid.uuid4()), datetime.now(UTC)
        with self._transaction(connector, scope) as session:
            stored = self._stored_findings(session, connector, scope)
            identities = self._stored_identities(session, connector, scope)
            if not stored and not identities:
                raise ConfigError(f"scopes retire: history has no scope {connector}:{scope}")
            command = f"scopes retire {connector} {scope}"
            session.add(RunRow(id=run_id, command=command, started=now, finished=now, status="complete"))
            session.flush()
            decision = retire_scope(stored, identities, f"scope retired by an operator: {reason}")
            _persist(session, run_id, connector, scope, decision)
            state = session.get(ScopeStateRow, (connector, scope))
            state = state or ScopeStateRow(connector=connector, scope=scope, observed_at=now, run_id=run_id)
            state.observed_at, state.run_id = now, run_id
            state.retired_run, state.retired_reason = run_id, reason
            session.add(state)
        return run_id, len(decision.findings)

    def known_scopes(self, connectors: Iterable[str] | None = None) -> list[KnownScope]:
        """Every scope history knows of, with its open findings and identities not gone."""
        wanted = set(connectors) if connectors is not None else None
        with Session(self.engine) as session:
            findings = session.execute(
                text("SELECT connector, scope, COUNT(*) FROM findings WHERE status = 'open' GROUP BY connector, scope")
            ).all()
            identities = session.execute(
                text(
                    "SELECT connector, scope, COUNT(*) FROM identities WHERE gone_run IS NULL GROUP BY connector, scope"
                )
            ).all()
            states = {(s.connector, s.scope): s for s in session.exec(select(ScopeStateRow))}
        open_counts = {(c, s): n for c, s, n in findings}
        identity_counts = {(c, s): n for c, s, n in identities}
        keys = sorted(set(open_counts) | set(identity_counts) | set(states))
        result = []
        for key in keys:
            if wanted is not None and key[0] not in wanted:
                continue
            state = states.get(key)
            result.append(
                KnownScope(
                    connector=key[0],
                    scope=key[1],
                    observed_at=state.observed_at if state else None,
                    run_id=state.run_id if state else None,
                    open_findings=open_counts.get(key, 0),
                    identities=identity_counts.get(key, 0),
                    retired_run=state.retired_run if state else None,
                    retired_reason=state.retired_reason if state else None,
                )
            )
        return result

    def _stored_findings(self, session: Session, connector: str, scope: str) -> dict[str, StoredFinding]:
        rows = table(FindingRow).c
        query = select_columns(rows.id, rows.status, rows.first_seen_run, rows.units, rows.record).where(
            rows.connector == connector, rows.scope == scope
        )
        return {
            row.id: StoredFinding(row.id, row.status, row.first_seen_run, list(row.units), row.record)
            for row in session.execute(query)
        }

    def _stored_identities(self, session: Session, connector: str, scope: str) -> dict[str, StoredIdentity]:
        rows = table(IdentityRow).c
        query = select_columns(rows.identity_id, rows.units, rows.gone_run).where(
            rows.connector == connector, rows.scope == scope
        )
        return {
            row.identity_id: StoredIdentity(row.identity_id, list(row.units), row.gone_run is not None)
            for row in session.execute(query)
        }

    def _advance(self, session: Session, state: ScopeStateRow | None, scope: ScopeResult, run_id: str) -> None:
        """This observation is now the scope's latest; scanning a retired scope again revives it."""
        state = state or ScopeStateRow(
            connector=scope.connector, scope=scope.scope.id, observed_at=scope.observed_at, run_id=run_id
        )
        state.observed_at, state.run_id = scope.observed_at, run_id
        state.retired_run = state.retired_reason = None
        session.add(state)

    # -- accepted risks ----------------------------------------------------------

    def record_accepted_risk_uses(self, run_id: str, shard: Shard | None, matched: Mapping[str, int]) -> None:
        """How many findings each accepted-risk entry (by id) matched in this run (in this shard's
        part of it: a shard run again replaces its own count)."""
        part = shard.index if shard is not None else 0
        uses = table(AcceptedRiskUseRow).c
        with self._transaction("run", run_id) as session:
            session.execute(delete(AcceptedRiskUseRow).where(uses.run_id == run_id, uses.shard == part))
            rows = [{"run_id": run_id, "shard": part, "entry_id": k, "matched": n} for k, n in matched.items()]
            if rows:
                session.execute(insert(AcceptedRiskUseRow), rows)

    def accepted_risk_uses(self, entry_ids: Sequence[str], runs: int, current: str | None) -> dict[str, list[int]]:
        """Per entry id, the findings it matched in each of its last ``runs`` runs, newest first:
        runs that finished (all their shards reported), and ``current``, whose counts are whole."""
        uses, run_rows = table(AcceptedRiskUseRow).c, table(RunRow).c
        settled = or_(run_rows.status != "running", run_rows.id == current)
        query = (
            select_columns(uses.entry_id, uses.run_id, func.sum(uses.matched).label("matched"))
            .join_from(table(AcceptedRiskUseRow), table(RunRow), run_rows.id == uses.run_id)
            .where(uses.entry_id.in_(list(entry_ids)), settled)
            .group_by(uses.entry_id, uses.run_id, run_rows.started)
            .order_by(run_rows.started.desc())
        )
        history: dict[str, list[int]] = {}
        with Session(self.engine) as session:
            for row in session.execute(query):
                recent = history.setdefault(row.entry_id, [])
                if len(recent) < runs:
                    recent.append(int(row.matched))
        return history

    # -- queries ---------------------------------------------------------------

    def document(self, run: str, partner: str | None = None) -> RunDocument:
        """A run's document (``latest`` for the last finished run), read back page by page."""
        return run_document(self.engine, resolve_run(self.engine, run), partner)

    def runs(self, limit: int = 20) -> Sequence[RunRow]:
        with Session(self.engine) as session:
            return session.exec(select(RunRow).order_by(col(RunRow.started).desc()).limit(limit)).all()

    def findings(
        self,
        *,
        partner: str | None = None,
        owner: str | None = None,
        rule: str | None = None,
        status: str | None = None,
        run_id: str | None = None,
    ) -> list[Finding]:
        """Current state of findings (or as a given run recorded them), filtered."""
        filters: list[Any] = [
            column == value for column, value in ((FindingRow.partner, partner), (FindingRow.rule, rule)) if value
        ]
        if owner:  # owner ids are emails: matched whatever their case
            filters.append(func.lower(FindingRow.owner) == owner.lower())
        with Session(self.engine) as session:
            if run_id:
                joined = (
                    select(FindingRow, FindingEventRow)
                    .join(FindingEventRow, col(FindingEventRow.finding_id) == col(FindingRow.id))
                    .where(FindingEventRow.run_id == run_id, *filters)
                )
                result = []
                for row, event in session.exec(joined):
                    finding = Finding.model_validate(row.record)
                    finding.status, finding.carried = event.status, event.carried
                    finding.suppression = AcceptedRisk.model_validate(event.suppression) if event.suppression else None
                    if event.note:
                        finding.evidence = {**finding.evidence, "not_re_evaluated": event.note}
                    result.append(finding)
            else:
                if status in ("open", "resolved"):
                    filters.append(FindingRow.status == status)
                result = []
                for row in session.exec(select(FindingRow).where(*filters)):
                    finding = Finding.model_validate(row.record)
                    finding.status = row.status
                    result.append(finding)
            if status == "new" or (run_id and status):
                result = [f for f in result if f.status == status]
        return sorted(result, key=lambda f: (-f.severity.rank, f.rule, f.identity))

    def finding_values(self, column: str) -> set[str]:
        """Every partner (or owner) id any stored finding names: what a filter can match."""
        values = table(FindingRow).c[column]
        with Session(self.engine) as session:
            return {row[0] for row in session.execute(select_columns(values).distinct()) if row[0]}

    def identities(self, *, partner: str | None = None, include_gone: bool = False) -> list[IdentityRow]:
        with Session(self.engine) as session:
            query = select(IdentityRow)
            if partner:
                query = query.where(IdentityRow.partner == partner)
            if not include_gone:
                query = query.where(col(IdentityRow.gone_run).is_(None))
            return list(session.exec(query))

    def latest_run_id(self) -> str | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(RunRow).where(RunRow.status != "running").order_by(col(RunRow.started).desc())
            ).first()
            return row.id if row else None


def _persist(session: Session, run_id: str, connector: str, scope: str, decision: ScopeDecision) -> None:
    """A scope's decision and the SIEM events it makes, in one transaction: neither without the other."""
    persist(session, run_id, connector, scope, decision)
    enqueue_finding_events(session, run_id, connector, scope, decision)


def _incomplete_units(scope: ScopeResult) -> dict[str, str]:
    return {
        u.resource_type: f"{u.resource_type} {u.status.value}: {u.error or 'no detail'}"
        for u in scope.units
        if u.status is not UnitStatus.COMPLETE
    }
