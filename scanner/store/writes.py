"""Persisting one scope's decision: rows written in bulk, inside the caller's transaction.

Nothing here decides anything (that is :mod:`partner_nhi.history`): it turns a
:class:`~partner_nhi.history.ScopeDecision` into rows. Identities and findings keep their
latest state in ``identities``/``findings``; each distinct content is a version row, and
each run's sighting or event points at the version it showed, so a past run's document
is rebuilt exactly. Writes go through ``executemany``: per-row ORM objects cost ~1 ms each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, delete, insert, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, SQLModel

from partner_nhi.document import digest, finding_content, identity_entry, scope_entry
from partner_nhi.history import ScopeDecision
from partner_nhi.results import Finding, JudgedIdentity, ScopeResult
from partner_nhi.store.tables import (
    CredentialRow,
    FindingEventRow,
    FindingRow,
    FindingVersionRow,
    IdentityRow,
    IdentityVersionRow,
    ScopeRow,
    SightingRow,
    UnitRow,
)

CHUNK = 500  # bound parameters per IN (...) list: far below every backend's limit
# Rows built and written at once: a scope's commit holds one batch's rows (record JSON, version
# entries, SQLAlchemy's parameter lists), not the scope's: ~35 KB per identity otherwise.
BATCH = 1000
T = TypeVar("T")


def table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


def bulk(session: Session, model: type[SQLModel], inserts: list[Any], *updates: list[Any]) -> None:
    """Insert rows, then apply each batch of updates (one shape of keys per batch, the primary key included)."""
    if inserts:
        session.execute(insert(model), inserts)
    for batch in updates:
        if batch:
            session.execute(update(model), batch)


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def write_scope_rows(session: Session, run_id: str, scope: ScopeResult) -> None:
    entry = scope_entry(scope)
    session.add(
        ScopeRow(
            run_id=run_id,
            connector=scope.connector,
            scope=scope.scope.id,
            status=scope.status.value,
            error=scope.summary_error(),
            identity_count=scope.identity_count,
            api_calls=scope.api_calls,
            api_calls_by_operation=scope.api_calls_by_operation,
            observed_at=None if scope.not_scanned else scope.observed_at,
            superseded_by=scope.superseded_by,
            entry=entry,
        )
    )
    bulk(
        session,
        UnitRow,
        [
            {
                "run_id": run_id,
                "connector": scope.connector,
                "scope": scope.scope.id,
                "resource_type": unit.resource_type,
                "status": unit.status.value,
                "error": unit.error,
                "error_kind": unit.error_kind.value if unit.error_kind else None,
                "notes": list(unit.notes),
            }
            for unit in scope.units
        ],
    )


def persist(session: Session, run_id: str, connector: str, scope: str, decision: ScopeDecision) -> None:
    """Write ``decision`` in batches of :data:`BATCH` (all inside the caller's transaction)."""
    existing = _identity_pks(session, connector, scope)
    gone = [{"id": existing[i], "gone_run": run_id} for i in decision.gone if i in existing]
    for identities in chunks(decision.identities, BATCH):
        _persist_identities(session, run_id, connector, scope, identities, existing)
    bulk(session, IdentityRow, [], gone)
    for findings in chunks(decision.findings, BATCH):
        _persist_findings(session, run_id, connector, scope, findings, decision.inserted)


def _persist_identities(
    session: Session,
    run_id: str,
    connector: str,
    scope: str,
    identities: Sequence[JudgedIdentity],
    existing: dict[str, int],
) -> None:
    """One batch of a scope's identities; ``existing`` (identity id -> row id) gains the new rows."""
    entries = {judged.identity.id: identity_entry(judged) for judged in identities}
    new = [
        {
            "connector": connector,
            "scope": scope,
            "identity_id": judged.identity.id,
            "provider": judged.identity.provider,
            "first_seen_run": run_id,
            **_identity_values(judged.identity, entries[judged.identity.id], run_id),
        }
        for judged in identities
        if judged.identity.id not in existing
    ]
    bulk(session, IdentityRow, new)
    for part in chunks([row["identity_id"] for row in new]):
        existing.update(_identity_pks(session, connector, scope, part))
    digests = {identity_id: digest(entry) for identity_id, entry in entries.items()}
    versions = _versions(
        session,
        IdentityVersionRow,
        [
            {"identity_pk": existing[identity_id], "digest": digests[identity_id], "entry": entry}
            for identity_id, entry in entries.items()
        ],
    )
    updates, sightings, credentials = [], [], []
    for judged in identities:
        identity = judged.identity
        pk, version = existing[identity.id], versions[digests[identity.id]]
        updates.append({"id": pk, "version_id": version, **_identity_values(identity, entries[identity.id], run_id)})
        sightings.append(
            {
                "run_id": run_id,
                "identity_pk": pk,
                "version_id": version,
                "partner": entries[identity.id]["partner"],
                "provider": identity.provider,
                "identity_id": identity.id,
            }
        )
        credentials += [
            {
                "identity_pk": pk,
                "credential_id": c.id,
                "kind": c.kind.value,
                "active": c.active,
                "created": c.created,
                "expires": c.expires,
                "last_used": c.last_used.as_text(),
                "source": c.source,
                "last_seen_run": run_id,
            }
            for c in identity.credentials
        ]
    bulk(session, IdentityRow, [], updates)
    bulk(session, SightingRow, sightings)
    seen = [row["identity_pk"] for row in sightings]
    for part in chunks(seen):  # the latest state of each seen identity's credentials replaces the last
        session.execute(delete(CredentialRow).where(table(CredentialRow).c.identity_pk.in_(part)))
    bulk(session, CredentialRow, credentials)


def _identity_pks(
    session: Session, connector: str, scope: str, identity_ids: Sequence[str] | None = None
) -> dict[str, int]:
    """The row id of each stored identity of the scope (only ``identity_ids``, when given)."""
    rows = table(IdentityRow).c
    query = select_columns(rows.id, rows.identity_id).where(rows.connector == connector, rows.scope == scope)
    if identity_ids is not None:
        query = query.where(rows.identity_id.in_(identity_ids))
    return {row.identity_id: row.id for row in session.execute(query)}


def _identity_values(identity: Any, entry: dict[str, Any], run_id: str) -> dict[str, Any]:
    return {
        "kind": identity.kind,
        "name": identity.name,
        "source": identity.source,
        "units": list(identity.units),
        "partner": entry["partner"],
        "owner": entry["owner"],
        "enabled": identity.enabled,
        "last_seen_run": run_id,
        "gone_run": None,
        "record": identity.model_dump(mode="json"),
    }


def _persist_findings(
    session: Session, run_id: str, connector: str, scope: str, findings: Sequence[Finding], inserted: set[str]
) -> None:
    observed = [f for f in findings if not f.carried and f.status != "resolved"]
    contents = {f.id: finding_content(f) for f in observed}
    digests = {fid: digest(content) for fid, content in contents.items()}
    versions = _versions(
        session,
        FindingVersionRow,
        [{"finding_id": fid, "digest": digests[fid], "record": content} for fid, content in contents.items()],
    )
    current = _current_versions(session, [f.id for f in findings if f.id not in contents])
    inserts, seen, resolutions, events = [], [], [], []
    for finding in findings:
        version = versions[digests[finding.id]] if finding.id in contents else current.get(finding.id)
        events.append(
            {
                "run_id": run_id,
                "finding_id": finding.id,
                "status": finding.status,
                "carried": finding.carried,
                "note": finding.evidence.get("not_re_evaluated" if finding.carried else "resolved_by"),
                "version_id": version,
                "first_seen_run": finding.first_seen_run,
                "severity_rank": finding.severity.rank,
                "suppression": finding.suppression.model_dump(mode="json") if finding.suppression else None,
            }
        )
        if finding.carried:
            continue  # not observed: its row stays as the last observation left it
        if finding.status == "resolved":  # keep the content of its last observation
            resolutions.append({"id": finding.id, "status": "resolved", "resolved_run": run_id})
            continue
        values = {
            "id": finding.id,
            "severity": finding.severity.value,
            "partner": finding.partner,
            "owner": finding.owner,
            "status": "open",
            "first_seen_run": finding.first_seen_run or run_id,
            "last_seen_run": run_id,
            "resolved_run": None,
            "version_id": version,
            "units": finding.units,
            "record": finding.model_dump(mode="json"),
        }
        if finding.id in inserted:
            rest = {"rule": finding.rule, "scope": scope, "identity_id": finding.identity}
            inserts.append(values | rest | {"connector": connector, "credential_id": finding.credential})
        else:
            seen.append(values)
    bulk(session, FindingRow, inserts, seen, resolutions)
    bulk(session, FindingEventRow, events)


def _versions(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> dict[str, int]:
    """The id of each row's version by digest, inserting the contents never stored before."""
    versions = table(model)
    wanted = list({row["digest"]: row for row in rows}.values())
    found: dict[str, int] = {}
    for part in chunks([row["digest"] for row in wanted]):
        query = select_columns(versions.c.digest, versions.c.id).where(versions.c.digest.in_(part))
        found.update((row.digest, row.id) for row in session.execute(query))
    missing = [row for row in wanted if row["digest"] not in found]
    if missing:
        bulk(session, model, missing)
        for part in chunks([row["digest"] for row in missing]):
            query = select_columns(versions.c.digest, versions.c.id).where(versions.c.digest.in_(part))
            found.update((row.digest, row.id) for row in session.execute(query))
    return found


def _current_versions(session: Session, finding_ids: Iterable[str]) -> dict[str, int]:
    findings = table(FindingRow)
    result: dict[str, int] = {}
    for part in chunks(list(finding_ids)):
        query = select_columns(findings.c.id, findings.c.version_id).where(findings.c.id.in_(part))
        result.update((row.id, row.version_id) for row in session.execute(query) if row.version_id is not None)
    return result
