"""The entries of a run's JSON document (SPEC §6, a contract documented in the README):
``run`` (with ``scopes``), ``identities``, ``findings``.

The store keeps each entry as written when the run committed it, so any past run's
document is rebuilt exactly, and the outputs stream it back from the store page by page.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from partner_nhi.results import Finding, JudgedIdentity, ScopeResult

# Per-run facts of a finding: kept on the run's event, not in the finding's content.
FINDING_RUN_FIELDS = frozenset({"status", "carried", "first_seen_run", "units", "suppression"})


def scope_entry(scope: ScopeResult) -> dict[str, Any]:
    return {
        "connector": scope.connector,
        "scope": scope.scope.id,
        "name": scope.scope.name or scope.scope.id,
        "status": scope.status.value,
        "error": scope.summary_error(),
        "observed_at": None if scope.not_scanned else time_text(scope.observed_at),
        "scanned": scope.not_scanned is None,
        "superseded_by": scope.superseded_by,
        "identity_count": scope.identity_count,
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
        "created": time_text(identity.created),
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
                "created": time_text(c.created),
                "last_used": c.last_used.as_text(),
                "expires": time_text(c.expires),
                "display": c.display,
            }
            for c in identity.credentials
        ],
    }


def finding_content(finding: Finding) -> dict[str, Any]:
    """What a finding says, without what one run said of it (status, carried)."""
    content = finding.model_dump(mode="json", exclude=set(FINDING_RUN_FIELDS))
    content["evidence"] = {k: v for k, v in content["evidence"].items() if k not in ("not_re_evaluated", "resolved_by")}
    return content


def finding_entry(
    content: dict[str, Any],
    status: str,
    carried: bool,
    first_seen_run: str | None,
    note: str | None,
    suppression: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A finding as one run's document shows it: its content, and that run's view of it (``note``:
    why it was carried, or what resolved it when no listing did; ``suppression``: the accepted
    risk it matched, in force or expired)."""
    noted = {("not_re_evaluated" if carried else "resolved_by"): note} if note else {}
    evidence = {**content.get("evidence", {}), **noted}
    return {
        **content,
        "evidence": evidence,
        "status": status,
        "carried": carried,
        "first_seen_run": first_seen_run,
        "suppressed": suppression is not None and not suppression["expired"],
        "suppression": suppression,
    }


def digest(value: Any) -> str:
    """A stable fingerprint of a JSON value: equal content, equal digest."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def time_text(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
