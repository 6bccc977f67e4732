"""The pre-offboarding sweep: everything one partner holds, and how to revoke it.

Built on the read model: the sightings of one stored run, as that run attributed them to the
partner, so a sweep reads the same whether it scanned just now or answers from the store
(``--from-store``) without calling a cloud. Each holding is an identity with what it holds
as the records show it (credentials, trusts in external parties, permissions and bindings),
its last use, owner and the partner's sponsor, and the steps that revoke it in order, from
its connector (:meth:`~partner_nhi.connector.Connector.revocation_steps`).

The gate: ``active`` counts holdings still enabled; a scope that could hold the partner's
identities and was not completely listed in the run (or, known to history, not in the run
at all) is named in ``incomplete_scopes``, because there the sweep cannot say nothing remains.

Holding something is a fact: every holding is listed, accepted risks included, each finding
marked as the run recorded it (``suppressed_findings``). Letting an active holding remain is
the risk decision: ``accepted`` counts those an accepted-risk entry in force accepts as a whole
(one naming neither rule nor finding, see :mod:`partner_nhi.suppressions`), and the gate waits
for ``outstanding``, the others, to reach zero.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from partner_nhi.connector import Connector
from partner_nhi.errors import ConfigError
from partner_nhi.records import Identity
from partner_nhi.registry import Partner
from partner_nhi.store import Store
from partner_nhi.suppressions import Suppressions


def sweep_report(
    store: Store,
    run_id: str,
    partner: Partner,
    connector: Callable[[str], type[Connector]],
    now: datetime,
    source: str,
    suppressions: Suppressions,
) -> dict[str, Any]:
    """The sweep of ``partner`` in stored run ``run_id`` (``source``: ``scan`` or ``store``)."""
    document = store.document(run_id, partner=partner.id)
    findings: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for finding in document.findings():
        if finding["status"] != "resolved":
            key = (finding["connector"], finding["scope"], finding["identity"])
            findings.setdefault(key, []).append(finding)
    holdings = []
    for entry, record in document.identities_with_records():
        held = findings.get((entry["connector"], entry["scope"], entry["id"]), [])
        accepted = suppressions.for_identity(entry["id"], partner.id, entry["provider"], entry["scope"], now.date())
        holding = {
            **entry,
            "active": entry["enabled"],
            "state": "active" if entry["enabled"] else "inactive",
            "sponsor": partner.sponsor,
            "trusts": [a for a in entry["affiliations"] if a["external"]],
            "findings": [finding["id"] for finding in held],
            "suppressed_findings": [finding["id"] for finding in held if finding["suppressed"]],
            "suppressed": accepted is not None,
            "suppression": accepted.model_dump(mode="json") if accepted else None,
            **_revocation(connector, entry["connector"], Identity.model_validate(record)),
        }
        holdings.append(holding)
    holdings.sort(key=lambda h: (not h["active"], h["provider"], h["name"], h["scope"]))
    run = document.run
    finished = datetime.fromisoformat(run["finished"]) if run["finished"] else None
    return {
        "partner": partner.id,
        "partner_name": partner.name,
        "partner_status": partner.status.value,
        "offboarded_on": partner.offboarded_on.isoformat() if partner.offboarded_on else None,
        "sponsor": partner.sponsor,
        "generated": now.isoformat(timespec="seconds"),
        "run": {
            "id": run["id"],
            "command": run["command"],
            "status": run["status"],
            "started": run["started"],
            "finished": run["finished"],
            "source": source,
            "age_seconds": round((now - finished).total_seconds()) if finished else None,
        },
        "active": sum(1 for h in holdings if h["active"]),
        "accepted": sum(1 for h in holdings if h["active"] and h["suppressed"]),
        "outstanding": sum(1 for h in holdings if h["active"] and not h["suppressed"]),
        "holdings": holdings,
        "incomplete_scopes": incomplete_scopes(store, run),
    }


def _revocation(connector: Callable[[str], type[Connector]], name: str, identity: Identity) -> dict[str, Any]:
    """The steps, or why there are none: a connector not installed here (a sweep from the
    store may run where that cloud's SDK is not) still leaves the holding listed."""
    try:
        steps = connector(name).revocation_steps(identity)
    except ConfigError as exc:
        return {"revocation": [], "revocation_unavailable": str(exc)}
    unavailable = None if steps else f"the {name} connector gives no revocation command for kind {identity.kind}"
    return {"revocation": [step.model_dump(mode="json") for step in steps], "revocation_unavailable": unavailable}


def incomplete_scopes(store: Store, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Scopes of the run not completely listed, and scopes history knows (not retired) that
    the run did not list at all: in either, a holding of the partner may be unseen."""
    found = [
        {"connector": s["connector"], "scope": s["scope"], "status": s["status"], "error": s["error"]}
        for s in run["scopes"]
        if s["status"] != "complete"
    ]
    listed = {(s["connector"], s["scope"]) for s in run["scopes"]}
    for known in store.known_scopes():
        if (known.connector, known.scope) not in listed and known.retired_run is None:
            seen = f", last observed by run {known.run_id}" if known.run_id else ""
            error = f"not in run {run['id']}{seen}"
            found.append({"connector": known.connector, "scope": known.scope, "status": "not listed", "error": error})
    return found
