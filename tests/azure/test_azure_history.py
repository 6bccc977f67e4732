"""History across runs for the azure connector (the foundation issue), through the real
msgraph-sdk and azure-mgmt-authorization against the emulator, the engine and the store:
no malformed record, failed listing, removed tenant, overlapping run or crash resolves a
finding that was not seen, or marks an identity gone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.cli import run_cli
from helpers.databases import refusing_writes, run_rows
from helpers.history import DEMO_REGISTRY as REGISTRY
from helpers.history import Cli, Restore, gone, statuses, swap, unit
from helpers.scan import scan
from partner_nhi.connectors.microsoft.emulator import MicrosoftEmulator, Tenant, graph_error
from partner_nhi.connectors.microsoft.emulator import tenant as seed
from partner_nhi.connectors.microsoft.emulator.demo import TENANT_ID, demo_tenant
from partner_nhi.registry import load_registry
from partner_nhi.results import RunResult
from partner_nhi.store import Store

ACME_TENANT = "0b0a4b2c-1111-4c6e-9e57-2d1c0a5f7e11"  # acme (offboarded) in the demo registry


def tenant_with_acme_app() -> Tenant:
    """The demo tenant plus acme's multi-tenant app, known here only through its service principal,
    holding Reader on the subscription: acme is offboarded, so it is ``partner-offboarded``."""
    tenant = demo_tenant()
    acme_app = seed.service_principal({"appId": seed.new_id(), "displayName": "Acme Connector"}, ACME_TENANT)
    tenant.service_principals.append(acme_app)
    subscription = tenant.subscriptions[0]
    subscription.role_assignments.append(seed.role_assignment(subscription, acme_app, "Reader"))
    return tenant


def azure(emulator: MicrosoftEmulator) -> dict[str, dict[str, Any]]:
    """The connectors section: the azure connector on this emulator's tenant."""
    return {"azure": emulator.settings()}


def by_name(tenant: Tenant, collection: str, name: str) -> dict[str, Any]:
    return next(item for item in getattr(tenant, collection) if item["displayName"] == name)


@dataclass(frozen=True)
class Malformed:
    """One record made unreadable: which unit must turn partial and what its error must name."""

    unit: str
    corrupt: Callable[[Tenant], tuple[Restore, list[str]]]


def _bad_created(tenant: Tenant) -> tuple[Restore, list[str]]:
    app = by_name(tenant, "applications", "acme-sync")
    return swap(app, "createdDateTime", "last Tuesday"), [
        f"application {app['id']} (acme-sync)",
        "field 'createdDateTime': not an ISO 8601 date-time: 'last Tuesday'",
    ]


def _bad_end_date(tenant: Tenant) -> tuple[Restore, list[str]]:
    app = by_name(tenant, "applications", "acme-sync")
    secret = app["passwordCredentials"][1]
    return swap(secret, "endDateTime", "2026-02-30T00:00:00Z"), [
        f"passwordCredential {secret['keyId']}",
        "field 'endDateTime'",
    ]


def _application_without_app_id(tenant: Tenant) -> tuple[Restore, list[str]]:
    app = by_name(tenant, "applications", "legacy-reporting")
    return swap(app, "appId"), [f"application {app['id']} (legacy-reporting)", "field 'appId': missing"]


def _principal_without_app_id(tenant: Tenant) -> tuple[Restore, list[str]]:
    sp = by_name(tenant, "service_principals", "Acme Connector")
    return swap(sp, "appId"), [f"servicePrincipal {sp['id']} (Acme Connector)", "field 'appId': missing"]


def _federated_without_id(tenant: Tenant) -> tuple[Restore, list[str]]:
    app = by_name(tenant, "applications", "github-deployer")
    row = app["federatedIdentityCredentials"][0]
    return swap(row, "id"), ["federatedIdentityCredential None (infra-main)", "field 'id': missing"]


def _sign_in_row(tenant: Tenant) -> tuple[Restore, list[str]]:
    acme = by_name(tenant, "applications", "acme-sync")
    row = next(r for r in tenant.sign_in_activities or [] if r["appId"] == acme["appId"])
    return swap(row, "lastSignInActivity", {"lastSignInDateTime": "5 days ago"}), [
        f"servicePrincipalSignInActivities row {row['id']}",
        "field 'lastSignInActivity.lastSignInDateTime'",
    ]


def _credential_sign_in_row(tenant: Tenant) -> tuple[Restore, list[str]]:
    row = (tenant.credential_sign_in_activities or [])[0]
    return swap(row, "keyId"), [f"appCredentialSignInActivities row {row['id']}", "field 'keyId': missing"]


def _role_assignment(tenant: Tenant) -> tuple[Restore, list[str]]:
    assignment = tenant.subscriptions[0].role_assignments[0]  # the managed identity's Owner
    return swap(assignment["properties"], "principalId"), [
        f"role assignment {assignment['id']}",
        "field 'principalId': missing",
    ]


SUBSCRIPTION_UNIT = f"role-assignments/{demo_tenant().subscriptions[0].id}"
CASES = {
    "application createdDateTime": Malformed("applications", _bad_created),
    "secret endDateTime": Malformed("applications", _bad_end_date),
    "application appId": Malformed("applications", _application_without_app_id),
    "service principal appId": Malformed("service-principals", _principal_without_app_id),
    "federated credential id": Malformed("federated-credentials", _federated_without_id),
    "sign-in report row": Malformed("sign-in-activity", _sign_in_row),
    "credential sign-in report row": Malformed("credential-sign-in-activity", _credential_sign_in_row),
    "role assignment principalId": Malformed(SUBSCRIPTION_UNIT, _role_assignment),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_malformed_record_costs_that_record_across_three_runs(
    case: str, emulate: Callable[[Tenant], MicrosoftEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulate(tenant_with_acme_app())
    database = f"sqlite:///{tmp_path / 'history.db'}"
    cli = Cli(tmp_path, monkeypatch, database)
    first_outcome, first = cli.scan(azure(emulator))
    assert first_outcome.code == 0 and first["run"]["status"] == "complete"
    assert set(statuses(first).values()) == {"new"} and len(first["findings"]) >= 10

    malformed = CASES[case]
    restore, names = malformed.corrupt(emulator.tenant)
    outcome, broken = cli.scan(azure(emulator))
    restore()

    assert outcome.code == 3 and broken["run"]["status"] == "partial"
    damaged = unit(broken, malformed.unit)
    assert damaged["status"] == "partial" and damaged["items_failed"] == 1
    assert damaged["error"].startswith("malformed record ")
    for name in names:
        assert name in damaged["error"]
    others = [u for s in broken["run"]["scopes"] for u in s["units"] if u["resource_type"] != malformed.unit]
    assert {u["status"] for u in others if not u["enrichment"]} == {"complete"}  # it cost that unit only
    assert "resolved" not in statuses(broken).values()
    assert {f: s for f, s in statuses(broken).items() if f in statuses(first)} == dict.fromkeys(
        statuses(first), "open"
    )  # every finding of run 1 is still open: seen again, or carried
    assert set(gone(database).values()) == {None}

    mended_outcome, mended = cli.scan(azure(emulator))
    assert mended_outcome.code == 0 and mended["run"]["status"] == "complete"
    assert statuses(mended) == dict.fromkeys(statuses(first), "open")  # same ids, open


def test_a_failed_service_principal_listing_keeps_what_relied_on_it(
    emulate: Callable[[Tenant], MicrosoftEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulate(tenant_with_acme_app())
    database = f"sqlite:///{tmp_path / 'history.db'}"
    cli = Cli(tmp_path, monkeypatch, database)
    _, first = cli.scan(azure(emulator))
    [offboarded] = [
        f for f in first["findings"] if f["identity_name"] == "Acme Connector" and f["reason"] == "partner-offboarded"
    ]
    assert offboarded["severity"] == "critical" and offboarded["partner"] == "acme"

    denied = graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    emulator.graph.fail("GET", r"/v1\.0/servicePrincipals$", denied)  # 403: retried by neither SDK nor engine
    outcome, second = cli.scan(azure(emulator))

    assert outcome.code == 3 and unit(second, "service-principals")["status"] == "failed"
    assert unit(second, SUBSCRIPTION_UNIT)["status"] == "complete"  # its roles were listed, its principal not
    carried = next(f for f in second["findings"] if f["id"] == offboarded["id"])
    assert carried["status"] == "open" and carried["carried"]
    assert "service-principals failed" in carried["evidence"]["not_re_evaluated"]
    assert "Acme Connector" not in {i["name"] for i in second["identities"]}
    assert set(gone(database).values()) == {None}
    assert "resolved" not in statuses(second).values()

    _, third = cli.scan(azure(emulator))
    assert third["run"]["status"] == "complete"
    assert statuses(third) == dict.fromkeys(statuses(first), "open")


def test_a_tenant_removed_from_the_config_is_carried_until_retired(
    emulate: Callable[[Tenant], MicrosoftEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    removed = emulate(demo_tenant())
    other = seed.application("other-app", datetime.now(UTC), secrets=[])
    kept = emulate(Tenant("5a5a5a5a-0000-4000-8000-00000000beef", applications=[other]))
    database = f"sqlite:///{tmp_path / 'history.db'}"
    cli = Cli(tmp_path, monkeypatch, database)
    _, first = cli.scan(azure(removed))

    outcome, second = cli.scan(azure(kept))
    assert outcome.code == 3 and second["run"]["status"] == "partial"
    [not_scanned] = [s for s in second["run"]["scopes"] if not s["scanned"]]
    assert (not_scanned["connector"], not_scanned["scope"]) == ("azure", TENANT_ID)
    assert f"partner-nhi scopes retire azure {TENANT_ID}" in not_scanned["error"]
    assert statuses(second) == {**dict.fromkeys(statuses(first), "open"), **statuses(second)}
    assert all(f["carried"] for f in second["findings"] if f["scope"] == TENANT_ID)
    assert set(gone(database).values()) == {None}

    retired = run_cli(
        monkeypatch, "scopes", "retire", "azure", TENANT_ID, "--reason", "tenant migrated", "--db", database
    )
    assert retired.code == 0 and f"{len(first['findings'])} open findings resolved" in retired.stdout
    with Store(database) as store:
        assert {f.id for f in store.findings(status="resolved")} == set(statuses(first))
    outcome, third = cli.scan(azure(kept))
    assert outcome.code == 0 and third["run"]["status"] == "complete"
    assert [s["scope"] for s in third["run"]["scopes"]] == [kept.tenant.id]


def test_a_tenant_is_one_string_so_it_cannot_be_configured_twice(
    emulate: Callable[[Tenant], MicrosoftEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The azure section names one tenant (``tenant_id`` is a string, not a list): the engine's
    duplicate-scope guard cannot be reached from it, and a list is refused as bad input."""
    emulator = emulate(demo_tenant())
    config = tmp_path / "twice.yaml"
    settings = {**emulator.settings(), "tenant_id": [TENANT_ID, TENANT_ID]}
    config.write_text(yaml.safe_dump({"registry": str(REGISTRY), "connectors": {"azure": settings}}))
    outcome = run_cli(monkeypatch, "scan", "-c", str(config), "-f", "json", "--db", f"sqlite:///{tmp_path}/s.db")
    assert outcome.code == 2 and "connectors.azure.tenant_id" in outcome.stderr


def _finding_states(run: RunResult) -> dict[str, str]:
    return {f"{f.identity_name}/{f.rule}/{f.credential}": f.status for f in run.findings if not f.carried}


def test_an_older_listing_committed_last_changes_nothing(
    database_url: str, emulate: Callable[[Tenant], MicrosoftEmulator]
) -> None:
    emulator = emulate(demo_tenant())
    registry = load_registry(REGISTRY)
    connectors = {"azure": emulator.settings()}
    with Store(database_url) as store:
        first = scan(connectors, registry, store)
    globex = by_name(emulator.tenant, "applications", "globex-monitoring")
    old_secret_findings = {f.id for f in first.findings if f.credential == globex["passwordCredentials"][0]["keyId"]}
    assert old_secret_findings  # unrotated and long-lived

    held = emulator.graph_api.hold(r"/v1\.0/applications$")  # the older run's listing: served, then delayed
    older: list[RunResult] = []

    def slow_run() -> None:
        with Store(database_url) as store:
            older.append(scan(connectors, registry, store))

    thread = threading.Thread(target=slow_run)
    thread.start()
    assert held.arrived.wait(30)
    # meanwhile: globex rotates (its old secret removed) and old-batch-job is deleted
    restore_secrets = swap(globex, "passwordCredentials", globex["passwordCredentials"][1:])
    for collection in ("applications", "service_principals"):  # deleting a registration deletes its principal
        getattr(emulator.tenant, collection).remove(by_name(emulator.tenant, collection, "old-batch-job"))
    with Store(database_url) as store:
        newer = scan(connectors, registry, store)
    resolved = {f.id for f in newer.findings if f.status == "resolved"}
    assert old_secret_findings <= resolved
    assert any(f.identity_name == "old-batch-job" for f in newer.findings if f.status == "resolved")

    held.release()
    thread.join(timeout=60)
    [stale] = older
    assert stale.scopes[0].superseded_by == newer.id
    assert all(f.carried for f in stale.findings)  # nothing of its older view shown as current
    with Store(database_url) as store:
        current = {f.id: f.status for f in store.findings()}
        assert {current[i] for i in resolved} == {"resolved"}
        assert gone(database_url)["old-batch-job"] == newer.id
        assert {name for name, run in gone(database_url).items() if run} == {"old-batch-job"}
        later = scan(connectors, registry, store)
    assert not ({f.id for f in later.findings if f.status in ("new", "open")} & resolved)
    restore_secrets()


def test_a_crash_exits_3_with_one_line_and_leaves_history_intact(
    emulate: Callable[[Tenant], MicrosoftEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulate(tenant_with_acme_app())
    database = f"sqlite:///{tmp_path / 'history.db'}"
    cli = Cli(tmp_path, monkeypatch, database)
    _, first = cli.scan(azure(emulator))
    emulator.tenant.applications.append(seed.application("newcomer", datetime.now(UTC)))  # a new finding to write

    with refusing_writes(database, "findings"):
        crashed, report = cli.scan(azure(emulator))

    assert crashed.code == 3 and report == {}
    errors = [line for line in crashed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "internal error" in errors[0] and "disk full" in errors[0]
    assert "Traceback" not in crashed.stderr
    assert [status for _, status, _ in run_rows(database)] == ["complete", "failed"]
    with Store(database) as store:  # as run 1 left it
        assert {f.id: f.status for f in store.findings()} == dict.fromkeys(statuses(first), "open")
        assert "newcomer" not in {row.name for row in store.identities(include_gone=True)}
    outcome, mended = cli.scan(azure(emulator))
    assert outcome.code == 0 and "newcomer" in {f["identity_name"] for f in mended["findings"]}
