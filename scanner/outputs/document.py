"""The JSON document of a run (SPEC §6, documented in the README): ``run``,
``identities``, ``findings``. Other formats derive from it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from partner_nhi.results import Finding, JudgedIdentity, RunResult, ScopeResult


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def scope_entry(scope: ScopeResult) -> dict[str, Any]:
    return {
        "connector": scope.connector,
        "scope": scope.scope.id,
        "name": scope.scope.name or scope.scope.id,
        "status": scope.status.value,
        "error": scope.summary_error(),
        "observed_at": None if scope.not_scanned else _time(scope.observed_at),
        "scanned": scope.not_scanned is None,
        "superseded_by": scope.superseded_by,
        "identity_count": len(scope.identities),
        "api_calls": scope.api_calls,
        "api_calls_by_operation": scope.api_calls_by_operation,
        "units": [
            {
                "resource_type": unit.resource_type,
                "status": unit.status.value,
                "error": unit.error,
                "error_kind": unit.error_kind.value if unit.error_kind else None,
                "notes": list(unit.notes),
                "enrichment": unit.enrichment,
                "items_failed": unit.items_failed,
            }
            for unit in scope.units
        ],
    }


def identity_entry(judged: JudgedIdentity) -> dict[str, Any]:
    identity, who = judged.identity, judged.attribution
    return {
        "id": identity.id,
        "provider": identity.provider,
        "connector": judged.connector,
        "kind": identity.kind,
        "scope": identity.scope,
        "name": identity.name,
        "aliases": list(identity.aliases),
        "created": _time(identity.created),
        "last_used": identity.last_used.as_text(),
        "last_used_detail": identity.last_used.detail,
        "enabled": identity.enabled,
        "provider_managed": identity.provider_managed,
        "privileged": identity.privileged,
        "permissions": list(identity.permissions),
        "tags": dict(identity.tags),
        "affiliations": [a.model_dump() for a in identity.affiliations],
        "partner": who.partner.id if who.partner else None,
        "owner": who.owner.id if who.owner else None,
        "attribution": {
            "source": who.source,
            "detail": (who.partner_evidence if who.partner else who.owner_evidence).detail,
            "partner": {"source": who.partner_evidence.source, "detail": who.partner_evidence.detail},
            "owner": {"source": who.owner_evidence.source, "detail": who.owner_evidence.detail},
            "notes": list(who.notes),
        },
        "credentials": [
            {
                "id": c.id,
                "kind": c.kind.value,
                "status": "active" if c.active else "inactive",
                "created": _time(c.created),
                "last_used": c.last_used.as_text(),
                "expires": _time(c.expires),
                "display": c.display,
            }
            for c in identity.credentials
        ],
    }


def finding_entry(finding: Finding) -> dict[str, Any]:
    entry = finding.model_dump(mode="json", exclude={"units"})
    return entry


def run_document(run: RunResult) -> dict[str, Any]:
    findings = sorted(run.findings, key=lambda f: (-f.severity.rank, f.rule, f.identity, f.credential or ""))
    return {
        "run": {
            "id": run.id,
            "command": run.command,
            "started": _time(run.started),
            "finished": _time(run.finished),
            "status": run.status,
            "error": run.error,
            "warnings": list(run.warnings),
            "scopes": [scope_entry(scope) for scope in run.scopes],
            "api_calls": sum(scope.api_calls for scope in run.scopes),
        },
        "identities": [
            identity_entry(j) for j in sorted(run.identities, key=lambda j: (j.identity.provider, j.identity.id))
        ],
        "findings": [finding_entry(f) for f in findings],
    }
