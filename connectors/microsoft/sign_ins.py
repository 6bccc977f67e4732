"""Last use from the beta sign-in reports (AuditLog.Read.All, Entra ID P1/P2).

- ``reports/servicePrincipalSignInActivities``: per appId, the last sign-in of
  any kind (client, resource, delegated, app-only).
- ``reports/appCredentialSignInActivities``: per credential keyId.

Unknown is not never. A report that is not licensed or not permitted leaves
every last use ``unknown`` with the reason. An entry whose dates are all null
is the report positively saying "no sign-in": ``never``. An identity or a
credential absent from a report is ``unknown``: the reports keep recent
activity, so absence proves nothing. Each row is read on its own (the engine's
``Units.transform``): one with an unreadable date costs that row, and an identity
whose row could not be read is ``unknown`` with that reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from partner_nhi.connectors.microsoft.graph import GraphSession
from partner_nhi.connectors.microsoft.paging import list_all
from partner_nhi.connectors.microsoft.times import parse_time, require
from partner_nhi.contract import LastUse, Units

JSON = dict[str, Any]

UNIT_SIGN_INS = "sign-in-activity"
UNIT_CREDENTIAL_SIGN_INS = "credential-sign-in-activity"
SP_REPORT = "/beta/reports/servicePrincipalSignInActivities"
CREDENTIAL_REPORT = "/beta/reports/appCredentialSignInActivities"

SP_ACTIVITY_FIELDS = (
    "lastSignInActivity",
    "applicationAuthenticationClientSignInActivity",
    "applicationAuthenticationResourceSignInActivity",
    "delegatedClientSignInActivity",
    "delegatedResourceSignInActivity",
)


async def fetch_report(graph: GraphSession, path: str) -> list[JSON]:
    """Every row of one beta report (JSON through the v1 client's adapter)."""
    return await list_all(graph, lambda: path, path)


def _latest(row: JSON, fields: Iterable[str]) -> LastUse:
    """The latest ``lastSignInDateTime`` of the activities named by ``fields``; ``never`` if all are null."""
    dates = []
    for name in fields:
        activity = row.get(name) or {}
        at = parse_time(activity.get("lastSignInDateTime"), f"{name}.lastSignInDateTime")
        if at is not None:
            dates.append(at)
    return LastUse.used(max(dates)) if dates else LastUse.never()


def app_use(row: JSON) -> tuple[str, LastUse]:
    """(appId, last use) from one servicePrincipalSignInActivity row."""
    return require(row, "appId").lower(), _latest(row, SP_ACTIVITY_FIELDS)


def key_use(row: JSON) -> tuple[str, LastUse]:
    """(keyId, last use) from one appCredentialSignInActivity row (one per key and resource)."""
    return require(row, "keyId").lower(), _latest(row, ("signInActivity",))


@dataclass(frozen=True)
class Report:
    """One report as read: last use by appId or keyId (lower case), and how many rows were unreadable."""

    name: str
    unit: str
    uses: dict[str, LastUse] = field(default_factory=dict)
    unreadable: int = 0

    def lookup(self, key: str | None) -> LastUse:
        if key is not None and key.lower() in self.uses:
            return self.uses[key.lower()]
        if self.unreadable:
            return LastUse.unknown(
                f"no readable entry in the {self.name} report ({self.unreadable} row(s) could not be read: "
                f"see unit {self.unit})"
            )
        return LastUse.unknown(f"no entry in the {self.name} report (it keeps recent activity only)")


def read_report(
    units: Units, unit: str, name: str, rows: list[JSON], parse: Callable[[JSON], tuple[str, LastUse]]
) -> Report:
    """Index a report's rows, each read on its own; the latest use wins for a repeated key."""
    parsed = units.transform(unit, rows, parse, lambda row: f"{name} row {row.get('id')}")
    uses: dict[str, LastUse] = {}
    for key, use in parsed:
        uses[key] = LastUse.latest(uses[key], use) if key in uses else use
    return Report(name, unit, uses, len(rows) - len(parsed))


APP_REPORT_NAME = "servicePrincipalSignInActivities"
KEY_REPORT_NAME = "appCredentialSignInActivities"


@dataclass(frozen=True)
class Activity:
    """What the reports say; ``None`` means that report was unavailable."""

    by_app: Report | None = None
    by_key: Report | None = None

    def app(self, app_id: str | None) -> LastUse:
        return _lookup(self.by_app, app_id, UNIT_SIGN_INS, APP_REPORT_NAME)

    def key(self, key_id: str) -> LastUse:
        return _lookup(self.by_key, key_id, UNIT_CREDENTIAL_SIGN_INS, KEY_REPORT_NAME)


def _lookup(report: Report | None, key: str | None, unit: str, name: str) -> LastUse:
    if report is None:
        return LastUse.unknown(f"{name} report unavailable (see unit {unit})")
    return report.lookup(key)
