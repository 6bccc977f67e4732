"""Fixtures for the m365 connector: the Graph emulator over small tenants holding third-party
apps (with delegated grants and application permissions), Microsoft's own apps, and a managed
identity; a collect helper running the real connector through the engine's UnitRecorder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpers.microsoft import FAST_RETRY, Scan, collect_with, emulate, wire_requests
from partner_nhi.connectors.microsoft.emulator import Subscription, Tenant
from partner_nhi.connectors.microsoft.emulator import tenant as seed
from partner_nhi.connectors.microsoft.emulator.demo import GRAPH_APP_ID, GRAPH_APP_ROLES
from partner_nhi.coverage import RetryPolicy

TENANT = "11111111-aaaa-4bbb-8ccc-0000000000e5"
PARTNER_TENANT = "7d3e1a52-2222-4f0b-8c1d-5e6f7a8b9c0d"  # globex in the demo registry
SUBSCRIPTION = "22222222-aaaa-4bbb-8ccc-0000000000e5"
NOW = datetime.now(UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def collect(settings: dict[str, object], retry: RetryPolicy = FAST_RETRY) -> Scan:
    from partner_nhi.connectors.m365 import M365Connector

    return collect_with(M365Connector, settings, retry)


def m365_settings(emulator) -> dict[str, object]:
    """The connectors.m365 section (SPEC §6: tenant_id and graph_endpoint) for an emulator."""
    return {"tenant_id": emulator.tenant.id, "graph_endpoint": emulator.graph_endpoint}


def graph_principal() -> dict[str, object]:
    return seed.resource_principal(GRAPH_APP_ID, "Microsoft Graph", GRAPH_APP_ROLES, scopes=["User.Read", "Mail.Read"])


def vendor_tenant(apps: int = 3) -> Tenant:
    """``apps`` partner apps, each with Mail.Read for every user, User.Read for two users and
    Mail.ReadWrite as an application permission; plus Microsoft Graph (the resource), a
    first-party developer tool holding a grant, a managed identity naming a foreign owning
    tenant, and the tenant's own app."""
    alice, bob = seed.user("alice@example.com"), seed.user("bob@example.com")
    graph = graph_principal()
    tenant = Tenant(TENANT, users=[alice, bob], subscriptions=[Subscription(SUBSCRIPTION)])
    tenant.service_principals = [graph]
    for n in range(apps):
        app = seed.service_principal({"appId": seed.new_id(), "displayName": f"vendor-{n:03d}"}, PARTNER_TENANT)
        tenant.service_principals.append(app)
        tenant.oauth2_permission_grants += [
            seed.delegated_grant(app, graph, "Mail.Read"),
            seed.delegated_grant(app, graph, "User.Read", principal=alice),
            seed.delegated_grant(app, graph, "User.Read", principal=bob),
        ]
        tenant.app_role_assignments.append(seed.app_role_assignment(app, graph, "Mail.ReadWrite", ago(30)))
        tenant.sign_in_activities = [*(tenant.sign_in_activities or []), seed.sign_in(app["appId"], ago(n + 1))]
    explorer = seed.service_principal(
        {"appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064", "displayName": "Graph Explorer"},
        "cdc5aeea-15c5-4db6-b079-fcadd2505dc2",
    )
    tenant.oauth2_permission_grants.append(seed.delegated_grant(explorer, graph, "Mail.Read", principal=alice))
    managed = seed.managed_identity("vendor-looking-mi", SUBSCRIPTION)
    managed["appOwnerOrganizationId"] = PARTNER_TENANT  # excluded by its type, whatever tenant it names
    own = seed.application("own-app", ago(10))
    tenant.applications = [own]
    tenant.service_principals += [explorer, managed, seed.service_principal(own, TENANT)]
    return tenant


class Kit:
    """What the m365 tests share (test modules cannot import this conftest)."""

    TENANT = TENANT
    PARTNER_TENANT = PARTNER_TENANT
    SUBSCRIPTION = SUBSCRIPTION
    NOW = NOW
    ago = staticmethod(ago)
    collect = staticmethod(collect)
    settings = staticmethod(m365_settings)
    vendor_tenant = staticmethod(vendor_tenant)
    graph_principal = staticmethod(graph_principal)
    wire_requests = staticmethod(wire_requests)


@pytest.fixture
def kit() -> type[Kit]:
    return Kit


__all__ = ["emulate", "kit"]
