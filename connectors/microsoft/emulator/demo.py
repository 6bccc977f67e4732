"""The demo Entra tenant of Example Corp (``partner-nhi demo``), on the local emulator,
scanned by both Microsoft connectors as they would scan one real tenant.

Partners and owners are those of ``scanner/demo/registry.yaml``. Dates are
relative to now, so the same findings appear whenever the demo runs.

The tenant's own workloads (the azure connector's):

- ``acme-sync``: acme's app (offboarded partner), one expired and one expiring secret;
- ``legacy-reporting``: owned by carol@example.com, who has left;
- ``acme-deploy-identity``: a managed identity with Owner on the subscription;
- ``github-deployer``: federated credential only (GitHub Actions OIDC);
- ``old-batch-job``: created 500 days ago, never signed in;
- ``globex-monitoring``: two active secrets, one 420 days old with a 2-year lifetime, and a
  federated credential any pull request of globex's repository can use;
- ``payments-api``: owned by bob, rotated 20 days ago, used yesterday (healthy);

Third-party apps (the m365 connector's; in the demo the azure connector leaves them to it):

- ``Globex Insights``: globex's verified multi-tenant app (an active partner): Reader on the
  subscription, Reports.Read.All, User.Read for every user and Calendars.Read for two users;
- ``Globex Mail Bridge``: globex's app from an unverified publisher holding Mail.ReadWrite;
- ``Acme Connector``: acme's app (offboarded partner) still consented: Sites.Read.All, and
  Files.Read.All for every user;
- ``QuickSign Pro``: an unknown tenant's app with a tenant-wide Mail.Read grant;
- Microsoft's first-party apps (Microsoft Graph, Office 365 Exchange Online, Graph Explorer
  and Microsoft Graph Command Line Tools, the last two holding delegated grants): never reported.
"""

from __future__ import annotations

import os
import threading
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
ACME_TENANT = "0b0a4b2c-1111-4c6e-9e57-2d1c0a5f7e11"
UNKNOWN_TENANT = "5e7d0c3a-9999-4a4a-8b8b-00000000d00d"
DEVELOPER_TOOLS_TENANT = "cdc5aeea-15c5-4db6-b079-fcadd2505dc2"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# Microsoft Graph app roles used below: the ids are the same in every tenant (Graph permissions reference)
GRAPH_APP_ROLES = {
    "Mail.ReadWrite": "e2a3a72e-5f79-4c64-b1b1-878b674786c9",
    "Mail.Read": "810c84a8-4a9e-49e6-bf7d-12d183f40d01",
    "Files.Read.All": "01d4889c-1287-42c6-ac1f-5d1e02578ef6",
    "Sites.Read.All": "332a536c-c7ef-4017-ab91-336970924f0d",
    "Reports.Read.All": "230c1aed-a721-4c5d-9cb4-a90514e508ef",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
}


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
    globex = seed.application(
        "globex-monitoring",
        ago(430),
        secrets=[globex_old, globex_new],
        federated_credentials=[  # any pull request of globex's repository may sign in as it
            seed.federated(GITHUB_ISSUER, "repo:globex-ms/monitoring-agent:pull_request", "agent-pr-checks")
        ],
    )
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
    insights["servicePrincipalNames"] = [insights["appId"], "https://insights.globex.example/api"]
    insights["homepage"] = "https://insights.globex.example"
    mail_bridge = seed.service_principal({"appId": seed.new_id(), "displayName": "Globex Mail Bridge"}, GLOBEX_TENANT)
    acme_connector = seed.service_principal({"appId": seed.new_id(), "displayName": "Acme Connector"}, ACME_TENANT)
    quicksign = seed.service_principal({"appId": seed.new_id(), "displayName": "QuickSign Pro"}, UNKNOWN_TENANT)
    quicksign["replyUrls"] = ["https://app.quicksign.example/auth"]
    third_party = [insights, mail_bridge, acme_connector, quicksign]
    graph = seed.resource_principal(
        GRAPH_APP_ID,
        "Microsoft Graph",
        GRAPH_APP_ROLES,
        scopes=["User.Read", "Mail.Read", "Files.Read.All", "Calendars.Read", "Directory.Read.All"],
    )
    exchange = seed.service_principal(
        {"appId": "00000002-0000-0ff1-ce00-000000000000", "displayName": "Office 365 Exchange Online"},
        seed.MICROSOFT_SERVICES_TENANT,
    )
    graph_explorer = seed.service_principal(
        {"appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064", "displayName": "Graph Explorer"}, DEVELOPER_TOOLS_TENANT
    )
    graph_cli = seed.service_principal(
        {"appId": "14d82eec-204b-4c2f-b7e8-296a70dab67e", "displayName": "Microsoft Graph Command Line Tools"},
        DEVELOPER_TOOLS_TENANT,
    )
    tenant.service_principals = [*sps.values(), mi, *third_party, graph, exchange, graph_explorer, graph_cli]
    tenant.oauth2_permission_grants = [
        seed.delegated_grant(insights, graph, "User.Read"),
        seed.delegated_grant(insights, graph, "Calendars.Read", principal=alice),
        seed.delegated_grant(insights, graph, "Calendars.Read", principal=bob),
        seed.delegated_grant(acme_connector, graph, "Files.Read.All offline_access"),
        seed.delegated_grant(quicksign, graph, "Mail.Read offline_access User.Read"),
        seed.delegated_grant(graph_explorer, graph, "User.Read Mail.Read", principal=dan),
        seed.delegated_grant(graph_cli, graph, "Directory.Read.All", principal=bob),
    ]
    tenant.app_role_assignments = [
        seed.app_role_assignment(insights, graph, "Reports.Read.All", ago(300)),
        seed.app_role_assignment(mail_bridge, graph, "Mail.ReadWrite", ago(60)),
        seed.app_role_assignment(acme_connector, graph, "Sites.Read.All", ago(500)),
    ]

    tenant.sign_in_activities = [
        seed.sign_in(acme["appId"], ago(5)),
        seed.sign_in(legacy["appId"], ago(3)),
        seed.sign_in(github["appId"], ago(1)),
        seed.sign_in(old_job["appId"], None),
        seed.sign_in(globex["appId"], ago(2)),
        seed.sign_in(payments["appId"], ago(1)),
        seed.sign_in(mi["appId"], ago(2)),
        seed.sign_in(insights["appId"], ago(6)),
        seed.sign_in(mail_bridge["appId"], ago(1)),
        seed.sign_in(acme_connector["appId"], ago(3)),
        seed.sign_in(quicksign["appId"], ago(2)),
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


class _SharedEstate:
    """One emulator over the demo tenant for both Microsoft connectors' demos (started by the
    first, stopped with the last), so ``partner-nhi demo`` scans one tenant with both, as a
    customer would; the emulator token is in the environment while it runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._emulator: MicrosoftEmulator | None = None
        self._users = 0
        self._previous_token: str | None = None

    @contextmanager
    def emulator(self) -> Iterator[MicrosoftEmulator]:
        with self._lock:
            if self._emulator is None:
                self._emulator = MicrosoftEmulator(demo_tenant()).start()
                self._previous_token = os.environ.get(TOKEN_ENV)
                os.environ[TOKEN_ENV] = self._emulator.token
            self._users += 1
            emulator = self._emulator
        try:
            yield emulator
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    emulator.stop()
                    self._emulator = None
                    if self._previous_token is None:
                        os.environ.pop(TOKEN_ENV, None)
                    else:
                        os.environ[TOKEN_ENV] = self._previous_token


SHARED = _SharedEstate()


@contextmanager
def azure_demo_estate() -> Iterator[dict[str, Any]]:
    """The ``connectors.azure`` settings of the demo (third-party apps are the m365 connector's:
    the demo runs both on one tenant)."""
    with SHARED.emulator() as emulator:
        yield emulator.settings()


@contextmanager
def m365_demo_estate() -> Iterator[dict[str, Any]]:
    """The ``connectors.m365`` settings of the demo, with the subscription whose roles apps hold."""
    with SHARED.emulator() as emulator:
        settings = emulator.settings()
        yield {key: settings[key] for key in ("tenant_id", "graph_endpoint", "arm_endpoint", "subscriptions")}
