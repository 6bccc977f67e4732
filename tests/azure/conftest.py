"""Fixtures for the azure connector: emulators over small seeded tenants, and a
collect helper that runs the real connector through the engine's UnitRecorder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpers.microsoft import FAST_RETRY, Scan, collect_with, emulate, wire_requests
from partner_nhi.connectors.microsoft.emulator import Subscription, Tenant
from partner_nhi.connectors.microsoft.emulator import tenant as seed
from partner_nhi.coverage import RetryPolicy

TENANT = "11111111-aaaa-4bbb-8ccc-000000000001"
SUB_A = "22222222-aaaa-4bbb-8ccc-00000000000a"
SUB_B = "22222222-aaaa-4bbb-8ccc-00000000000b"
NOW = datetime.now(UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def collect(settings: dict[str, object], retry: RetryPolicy = FAST_RETRY) -> Scan:
    from partner_nhi.connectors.azure import AzureConnector

    return collect_with(AzureConnector, settings, retry)


def small_tenant(apps: int = 3, subscriptions: tuple[str, ...] = (SUB_A,)) -> Tenant:
    """``apps`` applications with a secret and a service principal each, a managed
    identity with Owner on every subscription, sign-in entries for all."""
    owner = seed.user("bob@example.com")
    tenant = Tenant(TENANT, users=[owner], subscriptions=[Subscription(s) for s in subscriptions])
    for n in range(apps):
        app = seed.application(
            f"app-{n:03d}",
            ago(100 + n),
            owners=[owner],
            secrets=[seed.secret(ago(10), ago(-300), secret_text=f"SECRET-VALUE-{n}")],
        )
        tenant.applications.append(app)
        tenant.service_principals.append(seed.service_principal(app, TENANT))
        tenant.sign_in_activities = [*(tenant.sign_in_activities or []), seed.sign_in(app["appId"], ago(n))]
    mi = seed.managed_identity("deploy-mi", subscriptions[0])
    tenant.service_principals.append(mi)
    for subscription in tenant.subscriptions:
        subscription.role_assignments.append(seed.role_assignment(subscription, mi, "Owner"))
    return tenant


class Kit:
    """What the azure tests share (test modules cannot import this conftest:
    ``tests/`` is on sys.path and ``azure`` there would shadow the SDK)."""

    TENANT = TENANT
    SUB_A = SUB_A
    SUB_B = SUB_B
    NOW = NOW
    ago = staticmethod(ago)
    collect = staticmethod(collect)
    small_tenant = staticmethod(small_tenant)
    wire_requests = staticmethod(wire_requests)


@pytest.fixture
def kit() -> type[Kit]:
    return Kit


__all__ = ["emulate", "kit"]  # emulate: the shared fixture (tests/helpers/microsoft.py)
