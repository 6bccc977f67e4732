"""The demo Entra tenant of Example Corp (``partner-nhi demo``), on the local emulator.

Partners and owners are those of ``scanner/demo/registry.yaml``. Dates are
relative to now, so the same findings appear whenever the demo runs:

- ``acme-sync``: acme's app (offboarded partner), one expired and one expiring secret;
- ``legacy-reporting``: owned by carol@example.com, who has left;
- ``acme-deploy-identity``: a managed identity with Owner on the subscription;
- ``github-deployer``: federated credential only (GitHub Actions OIDC);
- ``old-batch-job``: created 500 days ago, never signed in;
- ``globex-monitoring``: two active secrets, one 420 days old with a 2-year lifetime;
- ``payments-api``: owned by bob, rotated 20 days ago, used yesterday (healthy);
- ``Globex Insights``: globex's multi-tenant app, Reader on the subscription;
- ``Microsoft Graph``: a first-party service principal, not reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from partner_nhi.connectors.microsoft.auth import TOKEN_ENV
from partner_nhi.connectors.microsoft.emulator import MicrosoftEmulator, Subscription, Tenant
from partner_nhi.connectors.microsoft.emulator import tenant as seed

TENANT_ID = "6d1a0c2e-0000-4000-8000-00000000c0de"
SUBSCRIPTION_ID = "3c9e4b1d-5555-4a2f-9d0e-00000000c0de"
GLOBEX_TENANT = "7d3e1a52-2222-4f0b-8c1d-5e6f7a8b9c0d"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def demo_tenant(now: datetime | None = None) -> Tenant:
    now = now or datetime.now(UTC)

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    alice, bob, carol, dan = (seed.user(f"{n}@example.com") for n in ("alice", "bob", "carol", "dan"))
    subscription = Subscription(SUBSCRIPTION_ID)
    tenant = Tenant(TENANT_ID, users=[alice, bob, carol, dan], subscriptions=[subscription])

    acme_expired = seed.secret(ago(400), ago(10), hint="aQ1")
    acme_expiring = seed.secret(ago(351), ago(-14), hint="k9Z")
    acme = seed.application(
        "acme-sync", ago(420), secrets=[acme_expired, acme_expiring], publisher_domain="corp.example"
    )
    legacy_cert = seed.certificate(ago(200), ago(-165), thumbprint=bytes.fromhex("5A" * 20))
    legacy = seed.application("legacy-reporting", ago(900), owners=[carol], certificates=[legacy_cert])
    github = seed.application(
        "github-deployer",
        ago(120),
        owners=[dan],
        federated_credentials=[
            seed.federated(GITHUB_ISSUER, "repo:example-corp/infra:ref:refs/heads/main", "infra-main")
        ],
    )
    old_secret = seed.secret(ago(200), ago(-165), hint="Old")
    old_job = seed.application("old-batch-job", ago(500), owners=[alice], secrets=[old_secret])
    globex_old = seed.secret(ago(420), ago(420 - 730), hint="gL0")
    globex_new = seed.secret(ago(30), ago(30 - 365), hint="gN3")
    globex = seed.application("globex-monitoring", ago(430), secrets=[globex_old, globex_new])
    payments_secret = seed.secret(ago(20), ago(-160), hint="pY2", display_name="prod")
    payments = seed.application("payments-api", ago(300), owners=[bob], secrets=[payments_secret])
    apps = [acme, legacy, github, old_job, globex, payments]
    tenant.applications = apps

    sps = {a["displayName"]: seed.service_principal(a, TENANT_ID) for a in apps}
    sps["globex-monitoring"]["tags"] = ["owner:dan@example.com"]
    mi = seed.managed_identity("acme-deploy-identity", SUBSCRIPTION_ID)
    insights = seed.service_principal(
        {"appId": seed.new_id(), "displayName": "Globex Insights"},
        GLOBEX_TENANT,
        verified_publisher="Globex Managed Services",
    )
    graph = seed.service_principal(
        {"appId": "00000003-0000-0000-c000-000000000000", "displayName": "Microsoft Graph"},
        seed.MICROSOFT_SERVICES_TENANT,
    )
    tenant.service_principals = [*sps.values(), mi, insights, graph]

    tenant.sign_in_activities = [
        seed.sign_in(acme["appId"], ago(5)),
        seed.sign_in(legacy["appId"], ago(3)),
        seed.sign_in(github["appId"], ago(1)),
        seed.sign_in(old_job["appId"], None),
        seed.sign_in(globex["appId"], ago(2)),
        seed.sign_in(payments["appId"], ago(1)),
        seed.sign_in(mi["appId"], ago(2)),
        seed.sign_in(insights["appId"], ago(6)),
    ]
    tenant.credential_sign_in_activities = [
        seed.credential_sign_in(acme, acme_expiring, ago(5)),
        seed.credential_sign_in(legacy, legacy_cert, ago(3)),
        seed.credential_sign_in(globex, globex_old, ago(2)),
        seed.credential_sign_in(payments, payments_secret, ago(1)),
    ]
    subscription.role_assignments = [
        seed.role_assignment(subscription, mi, "Owner"),
        seed.role_assignment(
            subscription,
            sps["github-deployer"],
            "Contributor",
            scope=f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-infra",
        ),
        seed.role_assignment(subscription, sps["payments-api"], "Reader"),
        seed.role_assignment(subscription, insights, "Reader"),
        seed.role_assignment(subscription, bob, "Owner", principal_type="User"),
    ]
    return tenant


@contextmanager
def demo_estate() -> Iterator[dict[str, Any]]:
    """Run the emulator over the demo tenant; yield the ``connectors.azure`` settings.

    The emulator token is put in the environment for the duration and restored after.
    """
    with MicrosoftEmulator(demo_tenant()) as emulator:
        previous = os.environ.get(TOKEN_ENV)
        os.environ[TOKEN_ENV] = emulator.token
        try:
            yield emulator.settings()
        finally:
            if previous is None:
                os.environ.pop(TOKEN_ENV, None)
            else:
                os.environ[TOKEN_ENV] = previous
