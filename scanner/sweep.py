"""The pre-offboarding sweep: everything one partner holds, and how to revoke it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from partner_nhi.connector import Connector
from partner_nhi.document import identity_entry
from partner_nhi.results import RunResult


def sweep_report(run: RunResult, partner: str, connectors: Mapping[str, type[Connector]]) -> dict[str, Any]:
    """``active`` counts holdings that still work: the offboarding gate waits for zero."""
    holdings = []
    for judged in run.identities:
        if judged.attribution.partner is None or judged.attribution.partner.id != partner:
            continue
        identity = judged.identity
        entry = identity_entry(judged)
        entry["active"] = identity.enabled
        steps = connectors[judged.connector].revocation_steps(identity) if identity.enabled else []
        entry["revocation"] = [step.model_dump(mode="json") for step in steps]
        entry["findings"] = [f.id for f in run.findings if f.identity == identity.id and f.status != "resolved"]
        holdings.append(entry)
    holdings.sort(key=lambda h: (not h["active"], h["provider"], h["name"]))
    return {
        "partner": partner,
        "run": {"id": run.id, "status": run.status, "finished": run.finished.isoformat() if run.finished else None},
        "active": sum(1 for h in holdings if h["active"]),
        "holdings": holdings,
        "incomplete_scopes": [
            {"connector": s.connector, "scope": s.scope.id, "status": s.status.value, "error": s.summary_error()}
            for s in run.scopes
            if s.status.value != "complete"
        ],
    }
