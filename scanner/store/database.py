"""The store: one transaction per run's results, serialised across processes.

SQLite (the default file) runs in WAL mode and takes its write lock at BEGIN
(``BEGIN IMMEDIATE``); PostgreSQL takes a transaction-scoped advisory lock. Either
way two runs at once never interleave their reconciliations, and a run that
fails before its commit leaves everything already stored untouched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, event, insert, text, update
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session, SQLModel, col, create_engine, select

from partner_nhi.errors import ConfigError, PartnerNhiError
from partner_nhi.history import Fate, fate_of_absent_finding
from partner_nhi.results import Finding, RunResult, ScopeResult
from partner_nhi.store.tables import FindingEventRow, FindingRow, IdentityRow, RunRow, ScopeRow, UnitRow

_ADVISORY_LOCK_KEY = 0x6E68695F7363616E & 0x7FFFFFFFFFFFFFFF  # "partner_nhi"


class StoreError(PartnerNhiError):
    """The database could not be reached or written."""


MIGRATIONS = Path(__file__).with_name("migrations")


def migrate(connection: Connection) -> None:
    """Bring the schema to the latest revision (a no-op when it is there already)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

            @event.listens_for(engine, "connect")
            def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=60000")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()

            @event.listens_for(engine, "begin")
            def _sqlite_begin(connection: Any) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

            return engine
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigError(f"--db / database: cannot use {url!r}: {exc}") from None


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)
        try:
            with self.engine.begin() as connection:
                self._lock(connection)
                migrate(connection)
        except OperationalError as exc:
            raise StoreError(f"database {self._safe_url()}: {exc.orig}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def _lock(self, connection: Any) -> None:
        if self.engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            self._lock(session.connection())
            yield session

    def begin_run(self, run: RunResult) -> None:
        with self._transaction() as session:
            session.add(RunRow(id=run.id, command=run.command, started=run.started))

    def commit_run(self, run: RunResult) -> None:
        """Reconcile this run against history and write it, all in one transaction.

        Sets each finding's status on ``run`` and appends the findings carried
        over or resolved, so outputs show exactly what the store recorded.
        """
        with self._transaction() as session:
            for scope in run.scopes:
                self._write_scope(session, run, scope)
            for scope in run.scopes:
                self._reconcile_identities(session, run, scope)
            self._reconcile_findings(session, run)
            row = session.get(RunRow, run.id)
            if row is None:
                row = RunRow(id=run.id, command=run.command, started=run.started)
            row.finished = run.finished
            row.status = run.status
            session.add(row)

    def _write_scope(self, session: Session, run: RunResult, scope: ScopeResult) -> None:
        session.add(
            ScopeRow(
                run_id=run.id,
                connector=scope.connector,
                scope=scope.scope.id,
                status=scope.status.value,
                error=scope.summary_error(),
                identity_count=len(scope.identities),
                api_calls=scope.api_calls,
                api_calls_by_operation=scope.api_calls_by_operation,
            )
        )
        for unit in scope.units:
            session.add(
                UnitRow(
                    run_id=run.id,
                    connector=scope.connector,
                    scope=scope.scope.id,
                    resource_type=unit.resource_type,
                    status=unit.status.value,
                    error=unit.error,
                    error_kind=unit.error_kind.value if unit.error_kind else None,
                    notes=list(unit.notes),
                )
            )

    def _reconcile_identities(self, session: Session, run: RunResult, scope: ScopeResult) -> None:
        judged = {
            j.identity.id: j
            for j in run.identities
            if j.connector == scope.connector and j.identity.scope == scope.scope.id
        }
        complete = scope.complete_units()
        table = SQLModel.metadata.tables[str(IdentityRow.__tablename__)]
        existing = {
            row.identity_id: row
            for row in session.execute(
                select(table.c.id, table.c.identity_id, table.c.source, table.c.gone_run).where(
                    table.c.connector == scope.connector, table.c.scope == scope.scope.id
                )
            )
        }
        inserts, updates = [], []
        for identity_id, judgement in judged.items():
            identity, who = judgement.identity, judgement.attribution
            values = {
                "kind": identity.kind,
                "name": identity.name,
                "source": identity.source,
                "partner": who.partner.id if who.partner else None,
                "owner": who.owner.id if who.owner else None,
                "enabled": identity.enabled,
                "last_seen_run": run.id,
                "gone_run": None,
                "record": identity.model_dump(mode="json"),
            }
            if identity_id in existing:
                updates.append({"id": existing[identity_id].id, **values})
            else:
                inserts.append(
                    {
                        **values,
                        "connector": scope.connector,
                        "scope": scope.scope.id,
                        "identity_id": identity_id,
                        "provider": identity.provider,
                        "first_seen_run": run.id,
                    }
                )
        gone = [  # only a complete listing says an identity is gone
            {"id": row.id, "gone_run": run.id}
            for identity_id, row in existing.items()
            if identity_id not in judged and row.gone_run is None and row.source in complete
        ]
        _bulk(session, IdentityRow, inserts, updates, gone)

    def _reconcile_findings(self, session: Session, run: RunResult) -> None:
        scanned = {(s.connector, s.scope.id): s for s in run.scopes}
        present = {(j.connector, j.identity.scope, j.identity.id) for j in run.identities}
        current = {f.id: f for f in run.findings}
        table = SQLModel.metadata.tables[str(FindingRow.__tablename__)]
        previous: dict[str, Any] = {}  # every finding ever recorded in the scanned scopes
        for connector, scope_id in scanned:
            query = table.select().where(table.c.connector == connector, table.c.scope == scope_id)
            previous.update((row.id, row) for row in session.execute(query))

        inserts, updates, events = [], [], []
        for finding in run.findings:
            row = previous.get(finding.id)
            if row is not None and row.status == "open":
                finding.status, finding.first_seen_run = "open", row.first_seen_run
            else:
                finding.status, finding.first_seen_run = "new", run.id
            values = {
                "id": finding.id,
                "severity": finding.severity.value,
                "partner": finding.partner,
                "owner": finding.owner,
                "status": "open",
                "first_seen_run": finding.first_seen_run,
                "last_seen_run": run.id,
                "resolved_run": None,
                "units": finding.units,
                "record": finding.model_dump(mode="json"),
            }
            if row is None:
                inserts.append(
                    {
                        **values,
                        "rule": finding.rule,
                        "connector": finding.connector,
                        "scope": finding.scope,
                        "identity_id": finding.identity,
                        "credential_id": finding.credential,
                    }
                )
            else:
                updates.append(values)
            events.append({"run_id": run.id, "finding_id": finding.id, "status": finding.status, "carried": False})

        carried = []
        for row in previous.values():
            if row.status != "open" or row.id in current:
                continue
            scope = scanned[(row.connector, row.scope)]
            fate = fate_of_absent_finding(
                row.units,
                identity_present=(row.connector, row.scope, row.identity_id) in present,
                undetermined=row.id in run.undetermined,
                complete_units=scope.complete_units(),
            )
            finding = Finding.model_validate(row.record)
            finding.first_seen_run = row.first_seen_run
            if fate is Fate.RESOLVED:
                finding.status, finding.carried = "resolved", False
            else:
                finding.status, finding.carried = "open", True
                why = run.undetermined.get(row.id) if fate is Fate.UNDETERMINED else None
                finding.evidence = {**finding.evidence, "not_re_evaluated": why or _carried_reason(scope, row.units)}
            carried.append(
                {
                    "id": row.id,
                    "status": "resolved" if fate is Fate.RESOLVED else "open",
                    "resolved_run": run.id if fate is Fate.RESOLVED else None,
                    "last_seen_run": run.id,
                    "record": finding.model_dump(mode="json"),
                }
            )
            events.append(
                {"run_id": run.id, "finding_id": row.id, "status": finding.status, "carried": finding.carried}
            )
            run.findings.append(finding)
        _bulk(session, FindingRow, inserts, updates, carried)
        _bulk(session, FindingEventRow, events, [], [])

    # -- queries ---------------------------------------------------------------

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
        filters = [
            column == value
            for column, value in ((FindingRow.partner, partner), (FindingRow.owner, owner), (FindingRow.rule, rule))
            if value
        ]
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
                    result.append(finding)
            else:
                if status in ("open", "resolved"):
                    filters.append(FindingRow.status == status)
                result = [
                    Finding.model_validate(row.record) for row in session.exec(select(FindingRow).where(*filters))
                ]
            if status == "new" or (run_id and status):
                result = [f for f in result if f.status == status]
        return sorted(result, key=lambda f: (-f.severity.rank, f.rule, f.identity))

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


def _bulk(session: Session, table: type[SQLModel], inserts: list[Any], *updates: list[Any]) -> None:
    """Write many rows at once (executemany): per-row ORM objects cost ~1 ms each."""
    if inserts:
        session.execute(insert(table), inserts)
    for batch in updates:  # each batch has one shape of keys, the primary key included
        if batch:
            session.execute(update(table), batch)


def _carried_reason(scope: ScopeResult, units: list[str]) -> str:
    incomplete = [u for u in scope.units if u.resource_type in units and u.status.value != "complete"]
    if incomplete:
        return "; ".join(f"{u.resource_type} {u.status.value}: {u.error or 'no detail'}" for u in incomplete)
    return "coverage incomplete in this run"
