"""The pre-offboarding sweep: everything one partner holds, and how to revoke it.

Holding something is a fact: every holding is listed, accepted risks included. The gate is a
risk decision: it waits for every active holding to be revoked or accepted (an accepted-risk
entry in force that names the identity as a whole, see :mod:`partner_nhi.suppressions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from partner_nhi.connector import Connector
from partner_nhi.document import identity_entry
from partner_nhi.results import RunResult
from partner_nhi.suppressions import Suppressions


def sweep_report(
    run: RunResult, partner: str, connectors: Mapping[str, type[Connector]], suppressions: Suppressions
) -> dict[str, Any]:
    """``active`` counts holdings that still work, ``accepted`` those of them an accepted risk
    covers, and ``outstanding`` the rest: the offboarding gate waits for zero outstanding."""
    today = run.started.date()
    holdings = []
    for judged in run.identities:
        if judged.attribution.partner is None or judged.attribution.partner.id != partner:
            continue
        identity = judged.identity
        entry = identity_entry(judged)
        entry["active"] = identity.enabled
        steps = connectors[judged.connector].revocation_steps(identity) if identity.enabled else []
        entry["revocation"] = [step.model_dump(mode="json") for step in steps]
        current = [f for f in run.findings if f.identity == identity.id and f.status != "resolved"]
        entry["findings"] = [f.id for f in current]
        entry["suppressed_findings"] = [f.id for f in current if f.suppressed]
        accepted = suppressions.for_identity(identity.id, partner, identity.provider, identity.scope, today)
        entry["suppressed"] = accepted is not None
        entry["suppression"] = accepted.model_dump(mode="json") if accepted else None
        holdings.append(entry)
    holdings.sort(key=lambda h: (not h["active"], h["provider"], h["name"]))
    return {
        "partner": partner,
        "run": {"id": run.id, "status": run.status, "finished": run.finished.isoformat() if run.finished else None},
        "active": sum(1 for h in holdings if h["active"]),
        "accepted": sum(1 for h in holdings if h["active"] and h["suppressed"]),
        "outstanding": sum(1 for h in holdings if h["active"] and not h["suppressed"]),
        "holdings": holdings,
        "incomplete_scopes": [
            {"connector": s.connector, "scope": s.scope.id, "status": s.status.value, "error": s.summary_error()}
            for s in run.scopes
            if s.status.value != "complete"
        ],
    }
