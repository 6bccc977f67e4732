"""History across runs for the m365 connector, through the CLI, the engine and the store: a
malformed record or a failed listing resolves nothing it did not see; and the azure and m365
connectors together on one tenant report each third-party app once, with its Azure role
assignments and its Graph permissions in the one record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers.history import Cli, Restore, gone, statuses, swap, unit
from partner_nhi.connectors.microsoft.emulator import MicrosoftEmulator, Tenant, graph_error
from partner_nhi.connectors.microsoft.emulator.demo import demo_tenant

Emulate = Callable[[Tenant], MicrosoftEmulator]


def m365(emulator: MicrosoftEmulator) -> dict[str, dict[str, Any]]:
    """The m365 section with the subscription, so Azure roles are part of each app's record."""
    settings = emulator.settings()
    return {"m365": {k: settings[k] for k in ("tenant_id", "graph_endpoint", "arm_endpoint", "subscriptions")}}


def principal(tenant: Tenant, name: str) -> dict[str, Any]:
    return next(sp for sp in tenant.service_principals if sp["displayName"] == name)


def _grant_without_client(tenant: Tenant) -> tuple[Restore, str, list[str]]:
    quicksign = principal(tenant, "QuickSign Pro")
    grant = next(g for g in tenant.oauth2_permission_grants if g["clientId"] == quicksign["id"])
    return swap(grant, "clientId"), "delegated-grants", [f"oauth2PermissionGrant {grant['id']}", "field 'clientId'"]


def _assignment_of_an_unknown_role(tenant: Tenant) -> tuple[Restore, str, list[str]]:
    bridge = principal(tenant, "Globex Mail Bridge")
    assignment = next(a for a in tenant.app_role_assignments if a["principalId"] == bridge["id"])
    return (
        swap(assignment, "appRoleId", "0e0e0e0e-0000-4000-8000-000000000000"),
        "app-role-assignments",
        [f"appRoleAssignment {assignment['id']}", "field 'appRoleId'", "is not an app role of resource"],
    )


def _principal_without_app_id(tenant: Tenant) -> tuple[Restore, str, list[str]]:
    acme = principal(tenant, "Acme Connector")
    return swap(acme, "appId"), "service-principals", [f"servicePrincipal {acme['id']} (Acme Connector)", "'appId'"]


def _sign_in_row(tenant: Tenant) -> tuple[Restore, str, list[str]]:
    quicksign = principal(tenant, "QuickSign Pro")
    row = next(r for r in tenant.sign_in_activities or [] if r["appId"] == quicksign["appId"])
    restore = swap(row, "lastSignInActivity", {"lastSignInDateTime": "2026-13-01T00:00:00Z"})
    return restore, "sign-in-activity", [f"servicePrincipalSignInActivities row {row['id']}", "lastSignInDateTime"]


CASES: dict[str, Callable[[Tenant], tuple[Restore, str, list[str]]]] = {
    "grant without clientId": _grant_without_client,
    "assignment of an unknown app role": _assignment_of_an_unknown_role,
    "principal without appId": _principal_without_app_id,
    "sign-in report row": _sign_in_row,
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_malformed_record_costs_that_record_across_three_runs(
    case: str, emulate: Emulate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulate(demo_tenant())
    database = f"sqlite:///{tmp_path / 'history.db'}"
    cli = Cli(tmp_path, monkeypatch, database)
    outcome, first = cli.scan(m365(emulator))
    assert outcome.code == 0 and first["run"]["status"] == "complete" and len(first["findings"]) >= 8

    restore, damaged_unit, names = CASES[case](emulator.tenant)
    outcome, broken = cli.scan(m365(emulator))
    restore()

    assert outcome.code == 3 and broken["run"]["status"] == "partial"
    damaged = unit(broken, damaged_unit)
    assert damaged["status"] == "partial" and damaged["items_failed"] == 1
    assert all(name in damaged["error"] for name in names), damaged["error"]
    assert {f: s for f, s in statuses(broken).items() if f in statuses(first)} == dict.fromkeys(statuses(first), "open")
    assert set(gone(database).values()) == {None}

    outcome, mended = cli.scan(m365(emulator))
    assert outcome.code == 0 and statuses(mended) == dict.fromkeys(statuses(first), "open")


def test_a_failed_grant_listing_resolves_nothing_that_relied_on_it(
    emulate: Emulate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulate(demo_tenant())
    database = f"sqlite:///{tmp_path / 'history.db'}"
    cli = Cli(tmp_path, monkeypatch, database)
    _, first = cli.scan(m365(emulator))
    [tenant_wide] = [
        f
        for f in first["findings"]
        if f["identity_name"] == "QuickSign Pro" and f["rule"] == "third-party-high-privilege"
    ]  # it rests on a delegated grant only

    denied = graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    emulator.graph.fail("GET", r"/v1\.0/oauth2PermissionGrants$", denied)
    outcome, second = cli.scan(m365(emulator))

    assert outcome.code == 3 and unit(second, "delegated-grants")["status"] == "failed"
    carried = next(f for f in second["findings"] if f["id"] == tenant_wide["id"])
    assert carried["status"] == "open" and carried["carried"]
    assert "delegated-grants failed" in carried["evidence"]["not_re_evaluated"]
    assert "resolved" not in statuses(second).values()
    assert set(gone(database).values()) == {None}

    _, third = cli.scan(m365(emulator))
    assert statuses(third) == dict.fromkeys(statuses(first), "open")


def both(emulator: MicrosoftEmulator, **azure: Any) -> dict[str, dict[str, Any]]:
    """Both connectors on one tenant; the m365 section without subscriptions: it takes azure's."""
    apps_only = {k: v for k, v in m365(emulator)["m365"].items() if k not in ("subscriptions", "arm_endpoint")}
    return {"azure": {**emulator.settings(), **azure}, "m365": apps_only}


def test_azure_and_m365_together_report_each_third_party_app_once(
    emulate: Emulate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulate(demo_tenant())
    cli = Cli(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'history.db'}")
    outcome, document = cli.scan(both(emulator), "--connector", "azure", "--connector", "m365")

    assert outcome.code == 0 and document["run"]["status"] == "complete"
    assert sorted(s["connector"] for s in document["run"]["scopes"]) == ["azure", "m365"]
    ids = [i["id"] for i in document["identities"]]
    assert len(ids) == len(set(ids)) == 7 + 4  # the tenant's own 7 workloads, the 4 third-party apps
    finding_ids = [f["id"] for f in document["findings"]]
    assert len(finding_ids) == len(set(finding_ids))
    insights = [i for i in document["identities"] if i["name"] == "Globex Insights"]
    assert [(i["connector"], i["kind"]) for i in insights] == [("m365", "m365-third-party-app")]
    subscription = emulator.tenant.subscriptions[0].id
    assert insights[0]["permissions"] == [
        "Calendars.Read on Microsoft Graph (delegated, 2 user(s))",
        "User.Read on Microsoft Graph (delegated, all users)",
        "Reports.Read.All on Microsoft Graph (application)",
        f"Reader on /subscriptions/{subscription}",
    ]  # its Graph permissions and its Azure role, one record
    assert {f["connector"] for f in document["findings"] if f["identity_name"] == "Globex Insights"} <= {"m365"}


def test_the_config_can_keep_third_party_apps_in_the_azure_connector_too(
    emulate: Emulate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``third_party_apps: true`` set on purpose is obeyed: both connectors then report an app holding an
    Azure role (providers azure and m365, distinct finding ids); left unset, m365 owns it (test above)."""
    emulator = emulate(demo_tenant())
    cli = Cli(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'history.db'}")
    _, document = cli.scan(both(emulator, third_party_apps=True))
    assert sorted(i["connector"] for i in document["identities"] if i["name"] == "Globex Insights") == ["azure", "m365"]
