"""The m365 connector through the real msgraph-sdk against the Graph emulator: which service
principals are third-party apps, their delegated grants and application permissions, bulk
reads and their call counts, paging, throttling, failures, read-only, no secret value."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from helpers.microsoft import batch_items
from partner_nhi.connector import ErrorKind, UnitStatus
from partner_nhi.connectors.microsoft.emulator import graph_error, throttled
from partner_nhi.connectors.microsoft.emulator import tenant as seed
from partner_nhi.coverage import RetryPolicy
from partner_nhi.records import EntitlementKind, EntitlementLevel, Identity

GRAPH_ONLY_UNITS = {
    "service-principals",
    "delegated-grants",
    "app-role-assignments",
    "sign-in-activity",
    "credential-sign-in-activity",
}


def _comparable(identities: list[Identity]) -> list[dict[str, Any]]:
    return sorted((i.model_dump(mode="json") for i in identities), key=lambda d: d["id"])


def test_only_other_tenants_apps_are_reported(emulate, kit) -> None:
    emulator = emulate(kit.vendor_tenant(apps=3))
    scan = kit.collect(kit.settings(emulator))

    assert {u: o.status for u, o in scan.outcomes.items()} == dict.fromkeys(GRAPH_ONLY_UNITS, UnitStatus.COMPLETE)
    assert sorted(i.name for i in scan.identities) == ["vendor-000", "vendor-001", "vendor-002"]
    # Microsoft Graph and Graph Explorer are Microsoft's (the second in cdc5aeea-...), the managed identity is
    # excluded by its type although it names a partner's tenant, own-app is the tenant's own
    assert {(i.provider, i.kind, i.scope) for i in scan.identities} == {("m365", "m365-third-party-app", kit.TENANT)}


def test_the_microsoft_tenant_list_is_configurable(emulate, kit) -> None:
    emulator = emulate(kit.vendor_tenant(apps=1))
    settings = {**kit.settings(emulator), "microsoft_tenant_ids": ["f8cdef31-a31e-4b4a-93e4-5f571e91255a"]}
    names = {i.name for i in kit.collect(settings).identities}
    assert names == {"vendor-000", "Graph Explorer"}  # its tenant no longer taken as Microsoft's


def test_grants_and_app_roles_become_named_classified_entitlements(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=1)
    emulator = emulate(tenant)
    app = kit.collect(kit.settings(emulator)).by_name("vendor-000")
    principal = next(sp for sp in tenant.service_principals if sp["displayName"] == "vendor-000")
    grants = [g for g in tenant.oauth2_permission_grants if g["clientId"] == principal["id"]]
    [assignment] = [a for a in tenant.app_role_assignments if a["principalId"] == principal["id"]]

    by_permission = {e.permission: e for e in app.entitlements}
    mail_read, user_read, mail_write = (
        by_permission["Mail.Read"],
        by_permission["User.Read"],
        by_permission["Mail.ReadWrite"],
    )
    assert (mail_read.kind, mail_read.all_users, mail_read.level) == (
        EntitlementKind.DELEGATED,
        True,
        EntitlementLevel.HIGH,
    )
    assert mail_read.ids == (grants[0]["id"],)
    assert (user_read.all_users, user_read.users, user_read.level) == (False, 2, EntitlementLevel.LOW)
    assert set(user_read.ids) == {grants[1]["id"], grants[2]["id"]}  # one grant per consenting user
    assert (mail_write.kind, mail_write.resource, mail_write.ids) == (
        EntitlementKind.APPLICATION,
        "Microsoft Graph",
        (assignment["id"],),
    )
    assert mail_write.classified_by.startswith("https://learn.microsoft.com/en-us/graph/permissions-reference#")
    assert app.permissions == (
        "Mail.Read on Microsoft Graph (delegated, all users)",
        "User.Read on Microsoft Graph (delegated, 2 user(s))",
        "Mail.ReadWrite on Microsoft Graph (application)",
    )
    assert app.privileged and app.publisher_verified is False
    assert app.units == ("service-principals", "delegated-grants", "app-role-assignments")
    assert app.last_used.state == "used"
    assert {(a.kind, a.value, a.external) for a in app.affiliations} == {
        ("azure-tenant", kit.PARTNER_TENANT, True),
        ("azure-app", principal["appId"], False),
    }


def test_publisher_domains_come_from_verified_identifier_uris_only(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=1)
    principal = next(sp for sp in tenant.service_principals if sp["displayName"] == "vendor-000")
    principal["verifiedPublisher"] = {"displayName": "Globex", "verifiedPublisherId": "1234567", "addedDateTime": None}
    principal["servicePrincipalNames"] = [principal["appId"], "https://api.globex.example/v1", "api://globex-sync"]
    principal["replyUrls"] = ["https://login.spoofed.example/callback"]
    principal["homepage"] = "https://www.globex.example"
    emulator = emulate(tenant)
    app = kit.collect(kit.settings(emulator)).by_name("vendor-000")

    assert app.publisher_verified is True and app.details["verified_publisher"] == "Globex"
    domains = [a.value for a in app.affiliations if a.kind == "publisher-domain"]
    assert domains == ["api.globex.example", "globex.example"]  # an identifier URI must be a verified domain
    assert app.details["reply_url_hosts"] == ["login.spoofed.example"]  # shown, never used to attribute
    assert app.details["homepage_host"] == "www.globex.example"


def test_bulk_reads_and_resource_roles_cached_per_resource(emulate, kit) -> None:
    emulator = emulate(kit.vendor_tenant(apps=25))
    scan = kit.collect(kit.settings(emulator))

    assert len(scan.identities) == 25
    assert scan.calls.by_operation == {
        "GET /v1.0/servicePrincipals": 1,  # 29 principals, one page
        "GET /v1.0/oauth2PermissionGrants": 1,  # 76 grants, one listing filtered here
        "POST /v1.0/$batch": 3,  # app role assignments of 25 apps (2 batches), Microsoft Graph's app roles (1)
        "GET /beta/reports/servicePrincipalSignInActivities": 1,
        "GET /beta/reports/appCredentialSignInActivities": 1,
    }
    graph_reads = [p for p in batch_items(emulator) if not p.endswith("/appRoleAssignments")]
    assert len(graph_reads) == 1  # one resource, read once for 25 apps
    assert scan.calls.total / len(scan.identities) < 0.3  # calls per app


def test_paging_gives_the_unpaged_result(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=4)
    principal = next(sp for sp in tenant.service_principals if sp["displayName"] == "vendor-000")
    graph = tenant.service_principals[0]
    for role in ("Files.Read.All", "Sites.Read.All", "Reports.Read.All"):  # 4 assignments: 2 pages in its batch item
        tenant.app_role_assignments.append(seed.app_role_assignment(principal, graph, role, kit.ago(5)))
    emulator = emulate(tenant)
    whole = kit.collect(kit.settings(emulator))
    emulator.graph_api.page_size = 2
    paged = kit.collect(kit.settings(emulator))

    assert _comparable(paged.identities) == _comparable(whole.identities)
    assert len(paged.by_name("vendor-000").entitlements) == 2 + 4
    assert paged.calls.by_operation["GET /v1.0/servicePrincipals"] == 4  # 8 principals, 2 a page
    assert paged.calls.by_operation["GET /v1.0/oauth2PermissionGrants"] == 7  # 13 grants, 2 a page
    assert paged.calls.by_operation["GET /v1.0/servicePrincipals/{id}/appRoleAssignments"] == 1  # its next page


def test_throttling_gives_the_unthrottled_result(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=3)
    emulator = emulate(tenant)
    calm = kit.collect(kit.settings(emulator))

    vendor = next(sp for sp in tenant.service_principals if sp["displayName"] == "vendor-001")
    emulator.graph.fail("GET", r"/v1\.0/servicePrincipals$", throttled(retry_after=1), times=2)
    emulator.graph.fail("GET", r"/v1\.0/oauth2PermissionGrants$", throttled(retry_after=1))
    emulator.graph.fail("GET", rf"/servicePrincipals/{vendor['id']}/appRoleAssignments$", throttled(retry_after=1))
    emulator.graph.fail("GET", rf"/servicePrincipals/{tenant.service_principals[0]['id']}$", throttled(retry_after=1))
    started = time.monotonic()
    stormy = kit.collect(kit.settings(emulator), retry=RetryPolicy(attempts=1))  # only the SDK and $batch retry

    assert _comparable(stormy.identities) == _comparable(calm.identities)
    assert all(o.status is UnitStatus.COMPLETE for o in stormy.outcomes.values())
    assert stormy.calls.total == calm.calls.total + 2 + 1 + 2  # 429s on the wire, and two batches sent again
    assert time.monotonic() - started >= 2  # the throttled $batch items waited for their Retry-After


def test_a_failed_grant_listing_fails_its_unit_and_nothing_is_empty(emulate, kit) -> None:
    emulator = emulate(kit.vendor_tenant(apps=2))
    denied = graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    emulator.graph.fail("GET", r"/v1\.0/oauth2PermissionGrants$", denied)
    scan = kit.collect(kit.settings(emulator))

    grants = scan.outcomes["delegated-grants"]
    assert grants.status is UnitStatus.FAILED and grants.error_kind is ErrorKind.FORBIDDEN
    app = scan.by_name("vendor-000")
    assert [e.kind for e in app.entitlements] == [EntitlementKind.APPLICATION]  # what was read is still judged
    assert "delegated-grants" in app.units  # and its findings wait for the grants to be read again


def test_a_failed_assignment_batch_item_makes_the_unit_partial(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=25)
    emulator = emulate(tenant)
    first = next(sp for sp in tenant.service_principals if sp["displayName"] == "vendor-000")
    emulator.graph.fail("GET", rf"/servicePrincipals/{first['id']}/appRoleAssignments$", graph_error(500, "x", "y"))
    scan = kit.collect(kit.settings(emulator), retry=RetryPolicy(attempts=1))

    outcome = scan.outcomes["app-role-assignments"]
    assert outcome.status is UnitStatus.PARTIAL and outcome.items_failed == 1  # its chunk of 20
    assert outcome.error_kind is ErrorKind.TRANSIENT
    assert len([i for i in scan.identities if any(e.kind is EntitlementKind.APPLICATION for e in i.entitlements)]) == 5


def test_a_malformed_grant_or_assignment_costs_that_record(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=2)
    tenant.oauth2_permission_grants[0].pop("clientId")
    tenant.app_role_assignments[1]["appRoleId"] = seed.new_id()  # no such app role on Microsoft Graph
    emulator = emulate(tenant)
    scan = kit.collect(kit.settings(emulator))

    grants, roles = scan.outcomes["delegated-grants"], scan.outcomes["app-role-assignments"]
    assert grants.status is UnitStatus.PARTIAL
    grant_id = tenant.oauth2_permission_grants[0]["id"]
    assert grants.error == f"malformed record 'oauth2PermissionGrant {grant_id}': field 'clientId': missing"
    assert roles.status is UnitStatus.PARTIAL and "is not an app role of resource Microsoft Graph" in (
        roles.error or ""
    )
    assert [e.permission for e in scan.by_name("vendor-000").entitlements] == ["User.Read", "Mail.ReadWrite"]
    assert [e.permission for e in scan.by_name("vendor-001").entitlements] == ["Mail.Read", "User.Read"]


def test_unlicensed_sign_in_report_leaves_last_use_unknown(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=1)
    tenant.sign_in_activities = None
    emulator = emulate(tenant)
    scan = kit.collect(kit.settings(emulator))
    outcome = scan.outcomes["sign-in-activity"]
    assert outcome.status is UnitStatus.SKIPPED and outcome.error_kind is ErrorKind.API_DISABLED
    last = scan.by_name("vendor-000").last_used
    assert last.state == "unknown" and "report unavailable" in (last.detail or "")


def test_principals_without_an_owning_tenant_are_noted(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=1)
    ownerless = seed.service_principal({"appId": seed.new_id(), "displayName": "ownerless"}, kit.PARTNER_TENANT)
    ownerless["appOwnerOrganizationId"] = None  # Graph gives none for some principals
    tenant.service_principals.append(ownerless)
    emulator = emulate(tenant)
    scan = kit.collect(kit.settings(emulator))
    assert "ownerless" not in {i.name for i in scan.identities}
    assert any("1 service principal(s) have no owning tenant" in n for n in scan.outcomes["service-principals"].notes)


def test_only_reads_are_sent_and_no_secret_value_is_kept(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=2)
    vendor = next(sp for sp in tenant.service_principals if sp["displayName"] == "vendor-000")
    vendor["passwordCredentials"] = [seed.secret(kit.ago(10), kit.ago(-30), secret_text="PARTNER-SECRET-VALUE")]
    emulator = emulate(tenant)
    emulator.graph_api.leak_secret_text = True  # even a server that sends it back
    scan = kit.collect(kit.settings(emulator))

    for request in emulator.graph.requests:
        if request.method == "POST":
            assert request.path == "/v1.0/$batch"
            assert {item["method"] for item in request.json()["requests"]} == {"GET"}
        else:
            assert request.method == "GET", request
        assert "secrettext" not in json.dumps([request.path, request.query, request.body.decode()]).lower()
    dumped = json.dumps([i.model_dump(mode="json") for i in scan.identities])
    assert "PARTNER-SECRET-VALUE" not in dumped
    assert [c.kind.value for c in scan.by_name("vendor-000").credentials] == ["client-secret"]


def test_azure_roles_join_the_record_only_when_subscriptions_are_configured(emulate, kit) -> None:
    tenant = kit.vendor_tenant(apps=1)
    vendor = next(sp for sp in tenant.service_principals if sp["displayName"] == "vendor-000")
    subscription = tenant.subscriptions[0]
    subscription.role_assignments.append(seed.role_assignment(subscription, vendor, "Contributor"))
    emulator = emulate(tenant)

    graph_only = kit.collect(kit.settings(emulator))
    assert emulator.arm.requests == []
    assert graph_only.by_name("vendor-000").units == ("service-principals", "delegated-grants", "app-role-assignments")

    settings = {**kit.settings(emulator), "subscriptions": [subscription.id], "arm_endpoint": emulator.arm_endpoint}
    app = kit.collect(settings).by_name("vendor-000")
    [role] = [e for e in app.entitlements if e.kind is EntitlementKind.ROLE]
    assert (role.permission, role.level, role.ids) == (
        "Contributor",
        EntitlementLevel.HIGH,
        (subscription.role_assignments[0]["id"],),
    )
    assert f"Contributor on /subscriptions/{subscription.id}" in app.permissions
    assert app.units[-1] == f"role-assignments/{subscription.id}"


def test_importing_m365_loads_no_arm_sdk() -> None:
    probe = (
        "import sys; import partner_nhi.connectors.m365 as m; m.M365Connector; "
        "loaded = sorted(n for n in sys.modules if n.startswith('azure.mgmt')); print(loaded); "
        "sys.exit(1 if loaded else 0)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "msgraph"
        in subprocess.run(
            [sys.executable, "-c", "import sys, partner_nhi.connectors.m365; print(sorted(sys.modules))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )  # the probe itself can fail: the Graph SDK is loaded
