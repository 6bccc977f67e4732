"""The azure connector through the real msgraph-sdk and azure-mgmt-authorization
against the local Graph + ARM emulator: paging, throttling, expired page tokens,
unlicensed reports, failed subscriptions, read-only, no secret text, call counts."""

from __future__ import annotations

import json
import time
from typing import Any

from helpers.microsoft import batch_items
from partner_nhi.connector import ErrorKind, UnitStatus
from partner_nhi.connectors.microsoft.emulator import arm_error, graph_error, throttled
from partner_nhi.connectors.microsoft.emulator import tenant as seed
from partner_nhi.connectors.microsoft.emulator.demo import demo_tenant
from partner_nhi.connectors.microsoft.emulator.tenant import Tenant
from partner_nhi.coverage import RetryPolicy
from partner_nhi.records import CredentialKind, Identity


def _comparable(identities: list[Identity]) -> list[dict[str, Any]]:
    return sorted((i.model_dump(mode="json") for i in identities), key=lambda d: d["id"])


def test_demo_estate_inventory(emulate, kit) -> None:
    emulator = emulate(demo_tenant())
    scan = kit.collect(emulator.settings())

    assert all(o.status is UnitStatus.COMPLETE for o in scan.outcomes.values())
    names = sorted(i.name for i in scan.identities)
    assert names == sorted(
        [
            "acme-sync",
            "legacy-reporting",
            "github-deployer",
            "old-batch-job",
            "globex-monitoring",
            "payments-api",
            "acme-deploy-identity",
            "Globex Insights",
        ]
    )  # Microsoft Graph's first-party principal holds no role: not reported
    acme = scan.by_name("acme-sync")
    assert [c.active for c in acme.credentials] == [False, True]
    mi = scan.by_name("acme-deploy-identity")
    assert mi.kind == "azure-managed-identity" and mi.privileged
    github = scan.by_name("github-deployer")
    assert [c.kind for c in github.credentials] == [CredentialKind.FEDERATED]
    assert not github.privileged  # Contributor on a resource group only
    assert scan.by_name("old-batch-job").last_used.state == "never"
    insights = scan.by_name("Globex Insights")
    assert insights.source == f"role-assignments/{emulator.tenant.subscriptions[0].id}"
    assert {(a.kind, a.external) for a in insights.affiliations} == {("azure-app", False), ("azure-tenant", True)}


def test_graph_and_arm_paging_give_the_unpaged_result(emulate, kit) -> None:
    tenant = kit.small_tenant(apps=7)
    subscription = tenant.subscriptions[0]
    for sp in tenant.service_principals[:5]:
        subscription.role_assignments.append(seed.role_assignment(subscription, sp, "Reader"))
    emulator = emulate(tenant)
    whole = kit.collect(emulator.settings())

    emulator.graph_api.page_size = 2
    emulator.arm_api.page_size = 2
    paged = kit.collect(emulator.settings())

    assert _comparable(paged.identities) == _comparable(whole.identities)
    assert len(paged.identities) == 8
    assert paged.calls.by_operation["GET /v1.0/applications"] == 4  # 7 apps, 2 a page
    assert paged.calls.by_operation["GET /v1.0/servicePrincipals"] == 4  # 8 principals
    assert (
        paged.calls.by_operation["GET /subscriptions/{id}/providers/Microsoft.Authorization/roleAssignments"] == 3
    )  # 6 assignments
    assert whole.calls.by_operation["GET /v1.0/applications"] == 1


def test_throttled_requests_are_retried_and_give_the_same_result(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=4))
    calm = kit.collect(emulator.settings())

    emulator.graph.fail("GET", r"/v1\.0/applications$", throttled(retry_after=1), times=2)
    emulator.graph.fail("GET", r"/beta/reports/", throttled(retry_after=1))
    emulator.arm.fail("GET", r"/roleAssignments$", arm_error(429, "TooManyRequests", "slow down", {"Retry-After": "1"}))
    stormy = kit.collect(emulator.settings())

    assert _comparable(stormy.identities) == _comparable(calm.identities)
    assert all(o.status is UnitStatus.COMPLETE for o in stormy.outcomes.values())
    assert stormy.calls.by_operation["GET /v1.0/applications"] == 3  # two 429s, then the page
    assert stormy.calls.total == calm.calls.total + 4


def test_throttling_beyond_sdk_retries_is_classified_throttled(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=1))
    emulator.graph.fail("GET", r"/v1\.0/servicePrincipals$", throttled(retry_after=1), times=100)
    scan = kit.collect({**emulator.settings(), "max_retries": 1})
    outcome = scan.outcomes["service-principals"]
    assert outcome.status is UnitStatus.FAILED and outcome.error_kind is ErrorKind.THROTTLED
    # no service principal listing, so no managed identity, and never an empty "complete"
    assert [i.kind for i in scan.identities] == ["azure-app"]
    assert scan.calls.by_operation["GET /v1.0/servicePrincipals"] == 2 * 3  # SDK x engine attempts


def test_expired_page_token_restarts_the_listing(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=5))
    emulator.graph_api.page_size = 2
    whole = kit.collect(emulator.settings())

    emulator.graph_api.expire_page_tokens = 1
    restarted = kit.collect(emulator.settings(), retry=RetryPolicy(attempts=1))  # the connector restarts

    assert _comparable(restarted.identities) == _comparable(whole.identities)
    assert restarted.outcomes["applications"].status is UnitStatus.COMPLETE
    # 3 pages, the second expired, then 3 pages again
    assert restarted.calls.by_operation["GET /v1.0/applications"] == 5


def test_unlicensed_sign_in_reports_leave_last_use_unknown(emulate, kit) -> None:
    tenant = kit.small_tenant(apps=2)
    tenant.sign_in_activities = None
    tenant.credential_sign_in_activities = None
    emulator = emulate(tenant)
    scan = kit.collect(emulator.settings())

    for unit in ("sign-in-activity", "credential-sign-in-activity"):
        outcome = scan.outcomes[unit]
        assert outcome.status is UnitStatus.SKIPPED
        assert outcome.error_kind is ErrorKind.API_DISABLED
        assert "premium license" in (outcome.error or "")
        assert any("last use is unknown" in note for note in outcome.notes)
    for identity in scan.identities:
        assert identity.last_used.state == "unknown"
        assert "report unavailable" in (identity.last_used.detail or "")
        assert all(c.last_used.state == "unknown" for c in identity.credentials)
    assert scan.outcomes["applications"].status is UnitStatus.COMPLETE


def test_forbidden_sign_in_report_fails_its_unit_only(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=2))
    emulator.graph.fail(
        "GET",
        r"servicePrincipalSignInActivities",
        graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    )
    scan = kit.collect(emulator.settings())
    assert scan.outcomes["sign-in-activity"].status is UnitStatus.FAILED
    assert scan.outcomes["sign-in-activity"].error_kind is ErrorKind.FORBIDDEN
    assert {i.last_used.state for i in scan.identities} == {"unknown"}


def test_failed_subscription_fails_only_its_unit(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=2, subscriptions=(kit.SUB_A, kit.SUB_B)))
    emulator.arm.fail(
        "GET",
        rf"/subscriptions/{kit.SUB_B}/providers/Microsoft\.Authorization/roleAssignments",
        arm_error(403, "AuthorizationFailed", "The client does not have authorization to perform action."),
    )
    scan = kit.collect(emulator.settings())

    assert scan.outcomes[f"role-assignments/{kit.SUB_A}"].status is UnitStatus.COMPLETE
    failed = scan.outcomes[f"role-assignments/{kit.SUB_B}"]
    assert failed.status is UnitStatus.FAILED and failed.error_kind is ErrorKind.FORBIDDEN
    mi = scan.by_name("deploy-mi")
    assert mi.permissions == (f"Owner on /subscriptions/{kit.SUB_A}",)  # SUB_B's grant unknown, not "none"


def test_unknown_subscription_is_not_found(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=1))
    settings = {**emulator.settings(), "subscriptions": [kit.SUB_A, kit.SUB_B]}
    scan = kit.collect(settings)
    assert scan.outcomes[f"role-assignments/{kit.SUB_B}"].error_kind is ErrorKind.NOT_FOUND


def test_a_throttled_batch_item_alone_is_sent_again_after_its_retry_after(emulate, kit) -> None:
    tenant = kit.small_tenant(apps=25)
    tenant.applications[21]["federatedIdentityCredentials"] = [seed.federated("https://issuer", "sub")]
    emulator = emulate(tenant)
    calm = kit.collect(emulator.settings())
    emulator.graph.requests.clear()

    throttled_item = rf"/applications/{tenant.applications[21]['id']}/federatedIdentityCredentials$"
    emulator.graph.fail("GET", throttled_item, throttled(retry_after=1))  # a 429 inside a 200 batch
    started = time.monotonic()
    scan = kit.collect(emulator.settings(), retry=RetryPolicy(attempts=1))  # no engine retry
    elapsed = time.monotonic() - started

    assert scan.outcomes["federated-credentials"].status is UnitStatus.COMPLETE
    assert _comparable(scan.identities) == _comparable(calm.identities)
    assert scan.calls.by_operation["POST /v1.0/$batch"] == 3  # 2 chunks of <= 20, then the one item again
    items = [p for p in batch_items(emulator) if p.endswith("/federatedIdentityCredentials")]
    again = f"/v1.0/applications/{tenant.applications[21]['id']}/federatedIdentityCredentials"
    assert len(items) == 25 + 1 and items[-1] == again  # only the throttled item was sent again
    assert elapsed >= 1.0  # after the Retry-After it asked for
    holder = scan.by_name("app-021")
    assert [c.kind for c in holder.credentials] == [CredentialKind.CLIENT_SECRET, CredentialKind.FEDERATED]


def test_a_batch_item_throttled_past_its_attempts_is_classified_throttled(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=3))
    emulator.graph.fail("GET", r"/federatedIdentityCredentials$", throttled(retry_after=0), times=100)
    scan = kit.collect(emulator.settings(), retry=RetryPolicy(attempts=1))
    outcome = scan.outcomes["federated-credentials"]
    assert outcome.status is UnitStatus.FAILED and outcome.error_kind is ErrorKind.THROTTLED
    assert scan.calls.by_operation["POST /v1.0/$batch"] == 4  # the batch helper's attempts, then the engine's


def test_owners_past_the_expand_cap_are_read_per_object(emulate, kit) -> None:
    tenant = kit.small_tenant(apps=2)
    crowd = [seed.user(f"owner{n:02d}@example.com") for n in range(25)]
    tenant.users += crowd
    tenant.applications[0]["owners"] = [u["id"] for u in crowd]
    emulator = emulate(tenant)
    scan = kit.collect(emulator.settings())

    app = scan.by_name("app-000")
    assert sorted(app.owner_hints) == sorted(u["userPrincipalName"] for u in crowd)  # all 25, not the first 20
    assert batch_items(emulator).count(f"/v1.0/applications/{tenant.applications[0]['id']}/owners") == 1
    assert scan.outcomes["applications"].status is UnitStatus.COMPLETE
    assert scan.by_name("app-001").owner_hints == ("bob@example.com",)  # under the cap: no extra read


def test_owners_returned_as_id_and_type_only_are_noted_not_dropped(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=2))
    emulator.graph_api.owners_without_details = True  # as without Directory.Read.All
    scan = kit.collect(emulator.settings())
    apps = scan.outcomes["applications"]
    assert apps.status is UnitStatus.COMPLETE
    assert [n for n in apps.notes if n.startswith("owner evidence missing: 2 object(s)")]
    assert all(i.owner_hints == () for i in scan.identities)


def test_failed_batch_chunk_makes_the_unit_partial(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=25))
    emulator.graph.fail(
        "GET",
        r"/federatedIdentityCredentials$",
        graph_error(403, "Authorization_RequestDenied", "no"),
    )
    scan = kit.collect(emulator.settings())
    outcome = scan.outcomes["federated-credentials"]
    assert outcome.status is UnitStatus.PARTIAL and outcome.items_failed == 1


def test_only_reads_are_sent(emulate, kit) -> None:
    emulator = emulate(demo_tenant())
    kit.collect(emulator.settings())

    seen = [r for server in (emulator.graph, emulator.arm) for r in server.requests]
    assert seen
    for request in seen:
        if request.method == "POST":
            assert request.path == "/v1.0/$batch"
            assert {item["method"] for item in request.json()["requests"]} == {"GET"}
        else:
            assert request.method == "GET", request


def test_secret_text_is_never_requested_nor_stored(emulate, kit) -> None:
    tenant = kit.small_tenant(apps=3)
    emulator = emulate(tenant)
    emulator.graph_api.leak_secret_text = True  # even a server that sends it back
    scan = kit.collect(emulator.settings())

    for server in (emulator.graph, emulator.arm):
        for request in server.requests:
            text = json.dumps([request.path, request.query, request.body.decode()]).lower()
            assert "secrettext" not in text
    dumped = json.dumps([i.model_dump(mode="json") for i in scan.identities])
    assert "SECRET-VALUE" not in dumped
    assert all(len(i.credentials) == 1 for i in scan.identities if i.kind == "azure-app")


def test_every_request_is_counted_once(emulate, kit) -> None:
    emulator = emulate(demo_tenant())
    emulator.graph.fail("GET", r"/v1\.0/applications$", throttled(retry_after=0))
    scan = kit.collect(emulator.settings())

    wire = kit.wire_requests(emulator)
    assert scan.calls.total == len(wire) == 8  # 7 operations, one retried
    assert sum(scan.calls.by_operation.values()) == scan.calls.total


def test_graph_and_arm_requests_carry_the_token_and_low_priority(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=1))
    kit.collect(emulator.settings())
    for request in emulator.graph.requests:
        assert request.headers["authorization"] == f"Bearer {emulator.token}"
        assert request.headers["x-ms-throttle-priority"] == "low"
    assert all(r.headers["authorization"] == f"Bearer {emulator.token}" for r in emulator.arm.requests)
    assert all(r.query["api-version"] for r in emulator.arm.requests)


def test_wrong_token_is_an_auth_failure(emulate, kit, monkeypatch) -> None:
    emulator = emulate(kit.small_tenant(apps=1))
    monkeypatch.setenv("PARTNER_NHI_AZURE_ACCESS_TOKEN", "not-the-emulator-token")
    scan = kit.collect(emulator.settings())
    assert scan.identities == []
    assert {o.error_kind for o in scan.outcomes.values() if o.status is UnitStatus.FAILED} == {ErrorKind.AUTH}
    assert scan.outcomes["applications"].status is UnitStatus.FAILED


def test_home_service_principal_without_registration_is_reported(emulate, kit) -> None:
    tenant: Tenant = kit.small_tenant(apps=1)
    orphan = seed.service_principal({"appId": seed.new_id(), "displayName": "legacy-sp"}, kit.TENANT)
    tenant.service_principals.append(orphan)
    emulator = emulate(tenant)
    scan = kit.collect(emulator.settings())
    assert scan.by_name("legacy-sp").kind == "azure-service-principal"
    assert scan.by_name("legacy-sp").source == "service-principals"


def test_tenants_collected_concurrently_in_threads(emulate, kit) -> None:
    """The engine runs scopes in worker threads: each collect has its own loop and clients."""
    from concurrent.futures import ThreadPoolExecutor

    first = kit.small_tenant(apps=3)
    second = kit.small_tenant(apps=5)
    second.id = "11111111-aaaa-4bbb-8ccc-000000000002"
    emulators = [emulate(first), emulate(second)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        scans = list(pool.map(lambda e: kit.collect(e.settings()), emulators))
    assert [len(s.identities) for s in scans] == [4, 6]
    assert [{i.scope for i in s.identities} for s in scans] == [{first.id}, {second.id}]


def test_graph_500_and_502_are_retried_by_the_sdk(emulate, kit) -> None:
    emulator = emulate(kit.small_tenant(apps=1))
    emulator.graph.fail("GET", r"/v1\.0/applications$", graph_error(502, "BadGateway", "upstream"))
    emulator.graph.fail("GET", r"/v1\.0/servicePrincipals$", graph_error(500, "InternalServerError", "oops"))
    scan = kit.collect(emulator.settings(), retry=RetryPolicy(attempts=1))  # no engine retry
    assert scan.outcomes["applications"].status is UnitStatus.COMPLETE
    assert scan.outcomes["service-principals"].status is UnitStatus.COMPLETE
    assert scan.calls.by_operation["GET /v1.0/applications"] == 2
