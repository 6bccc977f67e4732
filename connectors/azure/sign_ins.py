"""Last use from the beta sign-in reports (AuditLog.Read.All, Entra ID P1/P2).

- ``reports/servicePrincipalSignInActivities``: per appId, the last sign-in of
  any kind (client, resource, delegated, app-only).
- ``reports/appCredentialSignInActivities``: per credential keyId.

Unknown is not never. A report that is not licensed or not permitted leaves
every last use ``unknown`` with the reason. An entry whose dates are all null
is the report positively saying "no sign-in": ``never``. An identity or a
credential absent from a report is ``unknown``: the reports keep recent
activity, so absence proves nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from partner_nhi.connectors.microsoft.graph import GraphSession
from partner_nhi.connectors.microsoft.paging import list_all
from partner_nhi.contract import LastUse

UNIT_SIGN_INS = "sign-in-activity"
UNIT_CREDENTIAL_SIGN_INS = "credential-sign-in-activity"
SP_REPORT = "/beta/reports/servicePrincipalSignInActivities"
CREDENTIAL_REPORT = "/beta/reports/appCredentialSignInActivities"

_SP_ACTIVITY_FIELDS = (
    "lastSignInActivity",
    "applicationAuthenticationClientSignInActivity",
    "applicationAuthenticationResourceSignInActivity",
    "delegatedClientSignInActivity",
    "delegatedResourceSignInActivity",
)


async def fetch_report(graph: GraphSession, path: str) -> list[dict[str, Any]]:
    """Every row of one beta report (JSON through the v1 client's adapter)."""
    return await list_all(graph, lambda: path, path)


def _latest(values: Iterable[Any]) -> LastUse:
    dates = [datetime.fromisoformat(v.replace("Z", "+00:00")) for v in values if v]
    return LastUse.used(max(dates)) if dates else LastUse.never()


def app_uses(rows: Iterable[dict[str, Any]]) -> dict[str, LastUse]:
    """Last use by appId from servicePrincipalSignInActivities rows."""
    uses: dict[str, LastUse] = {}
    for row in rows:
        activities = [row.get(name) or {} for name in _SP_ACTIVITY_FIELDS]
        use = _latest(a.get("lastSignInDateTime") for a in activities)
        app_id = str(row["appId"]).lower()
        uses[app_id] = LastUse.latest(uses[app_id], use) if app_id in uses else use
    return uses


def key_uses(rows: Iterable[dict[str, Any]]) -> dict[str, LastUse]:
    """Last use by keyId from appCredentialSignInActivities rows (one per key and resource)."""
    uses: dict[str, LastUse] = {}
    for row in rows:
        use = _latest([(row.get("signInActivity") or {}).get("lastSignInDateTime")])
        key_id = str(row["keyId"]).lower()
        uses[key_id] = LastUse.latest(uses[key_id], use) if key_id in uses else use
    return uses


@dataclass(frozen=True)
class Activity:
    """What the reports say; a ``None`` index means that report was unavailable."""

    by_app: dict[str, LastUse] | None
    by_key: dict[str, LastUse] | None

    def app(self, app_id: str | None) -> LastUse:
        return _lookup(self.by_app, app_id, UNIT_SIGN_INS, "servicePrincipalSignInActivities")

    def key(self, key_id: str) -> LastUse:
        return _lookup(self.by_key, key_id, UNIT_CREDENTIAL_SIGN_INS, "appCredentialSignInActivities")


def _lookup(index: dict[str, LastUse] | None, key: str | None, unit: str, report: str) -> LastUse:
    if index is None:
        return LastUse.unknown(f"{report} report unavailable (see unit {unit})")
    if key is None or key.lower() not in index:
        return LastUse.unknown(f"no entry in the {report} report (it keeps recent activity only)")
    return index[key.lower()]
