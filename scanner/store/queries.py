"""The read model: any run's document rebuilt from the store, page by page.

The outputs stream from here (never from the whole estate in memory), and a past run
reads back exactly as it was written: each identity in the version that run saw, each
finding with the content, status and reason that run recorded. Pages are keyset pages
(``WHERE (sort key) > (last key) ORDER BY sort key LIMIT n``): each costs the same
however deep into a large run it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, literal, tuple_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from partner_nhi.document import finding_entry, time_text
from partner_nhi.errors import ConfigError
from partner_nhi.records import Identity
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
from partner_nhi.store.writes import table

PAGE = 1000


@dataclass(frozen=True)
class RunDocument:
    """One run's document: the ``run`` header now, identities and findings as they are read."""

    engine: Engine
    run: dict[str, Any]
    partner: str | None = None  # only this partner's identities and findings

    def identities(self, page: int = PAGE) -> Iterator[dict[str, Any]]:
        sightings, versions = table(SightingRow).c, table(IdentityVersionRow).c
        key = (sightings.provider, sightings.identity_id, sightings.identity_pk)
        query = (
            select_columns(*key, versions.entry)
            .join_from(table(SightingRow), table(IdentityVersionRow), versions.id == sightings.version_id)
            .where(sightings.run_id == self.run["id"])
        )
        if self.partner is not None:
            query = query.where(sightings.partner == self.partner)
        for row in _keyset(self.engine, query, key, page):
            yield row.entry

    def findings(self, page: int = PAGE) -> Iterator[dict[str, Any]]:
        events, findings, versions = table(FindingEventRow).c, table(FindingRow).c, table(FindingVersionRow).c
        credential = func.coalesce(findings.credential_id, "")
        key = (-events.severity_rank, findings.rule, findings.identity_id, credential, events.finding_id)
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


def resolve_run(engine: Engine, run: str) -> str:
    """A run id, or ``latest``: the last run that finished."""
    if run != "latest":
        return run
    with Session(engine) as session:
        row = session.exec(
            select(RunRow).where(RunRow.status != "running").order_by(col(RunRow.started).desc())
        ).first()
    if row is None:
        raise ConfigError("--run latest: the store holds no finished run")
    return row.id


def latest_scan(engine: Engine) -> str:
    """The last finished run that listed scopes (an operator's ``scopes retire`` lists none)."""
    scoped = select_columns(table(ScopeRow).c.run_id).where(table(ScopeRow).c.run_id == RunRow.id).exists()
    with Session(engine) as session:
        row = session.exec(
            select(RunRow).where(RunRow.status != "running", scoped).order_by(col(RunRow.started).desc())
        ).first()
    if row is None:
        raise ConfigError("the store holds no finished scan: run `partner-nhi scan` first")
    return row.id


def seen_identities(engine: Engine, run_id: str, page: int = PAGE) -> Iterator[Identity]:
    """The normalized record of every identity ``run_id`` saw, as last stored: that run's own view
    for the latest run (a later run that saw an identity again has replaced it)."""
    sightings, identities = table(SightingRow).c, table(IdentityRow).c
    query = (
        select_columns(sightings.identity_pk, identities.record)
        .join_from(table(SightingRow), table(IdentityRow), identities.id == sightings.identity_pk)
        .where(sightings.run_id == run_id)
    )
    for row in _keyset(engine, query, (sightings.identity_pk,), page):
        yield Identity.model_validate(row.record)


def known_identities(engine: Engine, page: int = PAGE) -> Iterator[tuple[str, tuple[str, ...], str | None]]:
    """Every identity history knows, gone or not: (native id, aliases, the run that found it gone)."""
    identities = table(IdentityRow).c
    query = select_columns(identities.id, identities.identity_id, identities.gone_run, identities.record)
    for row in _keyset(engine, query, (identities.id,), page):
        yield row.identity_id, tuple(row.record.get("aliases", ())), row.gone_run
