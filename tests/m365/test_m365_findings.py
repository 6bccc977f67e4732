"""Third-party apps through the engine: every attribution path (owning tenant, appId, verified
publisher domain, name pattern, assignment, nobody) and every rule on them, with evidence."""

from __future__ import annotations

from typing import Any

from helpers.scan import scan
from partner_nhi.connectors.microsoft.emulator import tenant as seed
from partner_nhi.registry import Registry
from partner_nhi.results import Finding, RunResult

T_TENANT, T_APP, T_DOMAIN, T_PATTERN, T_ASSIGNED, T_UNKNOWN, T_GONE = (
    f"a0000000-0000-4000-8000-00000000000{n}" for n in range(7)
)


def _registry(apps: dict[str, dict[str, Any]]) -> Registry:
    owners = [{"id": "alice@example.com"}, {"id": "bob@example.com"}]
    partners = [
        {"id": "tenantco", "sponsor": "alice@example.com", "match": {"azure_tenant_ids": [T_TENANT]}},
        {"id": "appco", "sponsor": "alice@example.com", "match": {"azure_app_ids": [apps["by-app-id"]["appId"]]}},
        {"id": "domainco", "sponsor": "alice@example.com", "match": {"publisher_domains": ["domainco.example"]}},
        {"id": "patternco", "sponsor": "alice@example.com", "match": {"name_patterns": ["pattern-*"]}},
        {"id": "assignedco"},
        {
            "id": "goneco",
            "status": "offboarded",
            "offboarded_on": "2026-01-31",
            "sponsor": "bob@example.com",
            "match": {"azure_tenant_ids": [T_GONE]},
        },
    ]
    assignments = [{"identity": apps["by-assignment"]["appId"], "partner": "assignedco", "owner": "bob@example.com"}]
    return Registry.model_validate({"version": 1, "owners": owners, "partners": partners, "assignments": assignments})


def _estate(kit) -> tuple[Any, dict[str, dict[str, Any]]]:
    tenant = kit.vendor_tenant(apps=0)
    graph = tenant.service_principals[0]

    def app(name: str, owner_tenant: str, *, verified: bool = False) -> dict[str, Any]:
        principal = seed.service_principal(
            {"appId": seed.new_id(), "displayName": name}, owner_tenant, verified_publisher="V" if verified else None
        )
        tenant.service_principals.append(principal)
        return principal

    apps = {
        "by-tenant": app("tenant-app", T_TENANT, verified=True),
        "by-app-id": app("appid-app", T_APP),
        "by-domain": app("domain-app", T_DOMAIN),
        "by-pattern": app("pattern-sync", T_PATTERN),
        "by-assignment": app("assigned-app", T_ASSIGNED),
        "nobody": app("mystery-app", T_UNKNOWN),
        "offboarded": app("gone-app", T_GONE),
    }
    apps["by-domain"]["servicePrincipalNames"] = ["https://connect.domainco.example/api"]
    tenant.oauth2_permission_grants += [
        seed.delegated_grant(apps["by-tenant"], graph, "Mail.Read User.Read"),  # high, for all users
        seed.delegated_grant(
            apps["nobody"], graph, "Mail.Read", principal=tenant.users[0]
        ),  # one user: not tenant-wide
        seed.delegated_grant(apps["offboarded"], graph, "User.Read"),
    ]
    tenant.app_role_assignments += [
        seed.app_role_assignment(apps["by-app-id"], graph, "Mail.ReadWrite", kit.ago(10)),
        seed.app_role_assignment(apps["offboarded"], graph, "Files.Read.All", kit.ago(400)),
    ]
    apps["offboarded"]["accountEnabled"] = False  # disabled, but still consented
    return tenant, apps


def _findings(run: RunResult, name: str) -> dict[tuple[str, str | None], Finding]:
    return {(f.rule, f.reason): f for f in run.findings if f.identity_name == name}


def test_attribution_paths_and_rules(emulate, kit) -> None:
    tenant, apps = _estate(kit)
    emulator = emulate(tenant)
    run = scan({"m365": kit.settings(emulator)}, _registry(apps), None, now=kit.NOW)
    assert run.status == "complete"
    who = {j.identity.name: j.attribution for j in run.identities}

    assert (who["tenant-app"].partner.id, who["tenant-app"].partner_evidence.detail) == (
        "tenantco",
        f"azure-tenant {T_TENANT} in tenantco.match.azure_tenant_ids",
    )
    assert who["appid-app"].partner.id == "appco" and who["appid-app"].partner_evidence.source == "match"
    assert (
        who["domain-app"].partner_evidence.detail
        == "publisher-domain domainco.example in domainco.match.publisher_domains"
    )
    assert who["pattern-sync"].partner_evidence.source == "name-pattern"
    assert (who["assigned-app"].partner.id, who["assigned-app"].owner.id) == ("assignedco", "bob@example.com")
    assert who["mystery-app"].partner is None
    assert who["tenant-app"].owner.id == "alice@example.com" and who["tenant-app"].owner_evidence.source == "sponsor"

    # unclaimed owning tenant: orphaned / unregistered-external
    mystery = _findings(run, "mystery-app")
    assert mystery[("orphaned-identity", "unregistered-external")].evidence["external"] == [f"azure-tenant {T_UNKNOWN}"]
    assert ("third-party-high-privilege", None) not in mystery  # Mail.Read for one user only
    assert ("third-party-unverified-publisher", None) in mystery  # Mail.Read is above low

    # high application permission; tenant-wide high delegated scope from a verified publisher
    assert _findings(run, "appid-app")[("third-party-high-privilege", None)].severity.value == "high"
    tenant_app = _findings(run, "tenant-app")
    high = tenant_app[("third-party-high-privilege", None)]
    assert [p["permission"] for p in high.evidence["permissions"]] == [
        "Mail.Read on Microsoft Graph (delegated, all users)"
    ]
    assert ("third-party-unverified-publisher", None) not in tenant_app  # verified

    # an offboarded partner's app, disabled but still consented: critical, naming each grant and assignment
    gone = _findings(run, "gone-app")[("orphaned-identity", "partner-offboarded")]
    assert gone.severity.value == "critical" and gone.partner == "goneco"
    removals = {(r["permission"], tuple(r["ids"])) for r in gone.evidence["remove"]}
    assignment = next(a for a in tenant.app_role_assignments if a["principalId"] == apps["offboarded"]["id"])
    grant = next(g for g in tenant.oauth2_permission_grants if g["clientId"] == apps["offboarded"]["id"])
    assert removals == {
        ("User.Read on Microsoft Graph (delegated, all users)", (grant["id"],)),
        ("Files.Read.All on Microsoft Graph (application)", (assignment["id"],)),
    }
    assert "disabled but still granted" in gone.message
    assert "sweep --partner" in gone.remediation
    assert len(run.findings) == len({f.id for f in run.findings})
