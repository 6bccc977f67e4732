"""The synthetic Entra tenant the benchmark scans on the Graph and ARM emulator.

Each tenant of N identities: 60 % app registrations (0-2 client secrets, a fifth
with a certificate, half with an owner, a seventh with a federated credential; all
but one in twenty with their home-tenant service principal), 30 % standalone
service principals (a tenth of them a partner's multi-tenant app, the rest
home-tenant principals without a registration, a quarter with a secret of their
own), 10 % managed identities. One subscription, where a tenth of each kind holds
a role; sign-in report rows for half the principals and half the app credentials.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from partner_nhi.connectors.microsoft.emulator import Tenant

TENANT_ID = "0b5e11c4-0000-4000-8000-00000000be4c"
SUBSCRIPTION_ID = "5ab5c21b-0000-4000-8000-00000000be4c"
PARTNER_TENANT = "9a7e0c1d-0000-4000-8000-0000000a4c3e"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
ROLES = ("Reader", "Contributor", "Owner")
OWNERS = 100  # users who own applications


def build_tenant(size: int) -> Tenant:
    """A tenant whose scan reports ``size`` identities (see the module docstring for the mix)."""
    from partner_nhi.connectors.microsoft.emulator import Subscription, Tenant
    from partner_nhi.connectors.microsoft.emulator import tenant as seed

    now = datetime.now(UTC)

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    subscription = Subscription(SUBSCRIPTION_ID)
    users = [seed.user(f"owner-{n:03d}@corp.example") for n in range(OWNERS)]
    tenant = Tenant(TENANT_ID, users=users, subscriptions=[subscription])
    sign_ins: list[dict[str, Any]] = []
    credential_sign_ins: list[dict[str, Any]] = []
    tenant.sign_in_activities, tenant.credential_sign_in_activities = sign_ins, credential_sign_ins
    apps, standalone = int(size * 0.6), int(size * 0.3)

    def grant(n: int, principal: dict[str, Any]) -> None:
        """A role for one principal in ten; a sign-in row for one in two (none ever for one in ten of those)."""
        if n % 10 == 0:
            subscription.role_assignments.append(seed.role_assignment(subscription, principal, ROLES[n % 3]))
        if n % 2 == 0:
            sign_ins.append(seed.sign_in(principal["appId"], None if n % 20 == 0 else ago(n % 120)))

    for n in range(apps):
        secrets = [seed.secret(ago(30 + n % 700), ago(30 + n % 700 - 365 * (1 + s))) for s in range(n % 3)]
        certificates = [seed.certificate(ago(n % 400), ago(n % 400 - 365))] if n % 5 == 0 else []
        federated = [seed.federated(GITHUB_ISSUER, f"repo:corp/app-{n}:ref:refs/heads/main")] if n % 7 == 0 else []
        app = seed.application(
            f"app-{n:06d}",
            ago(10 + n % 900),
            owners=[users[n % OWNERS]] if n % 2 == 0 else [],
            secrets=secrets,
            certificates=certificates,
            federated_credentials=federated,
        )
        tenant.applications.append(app)
        for k, credential in enumerate([*secrets, *certificates]):
            if (n + k) % 2 == 0:
                credential_sign_ins.append(seed.credential_sign_in(app, credential, ago(n % 90)))
        if n % 20 == 19:  # a registration without a service principal: grant() is never due for these
            continue
        sp = seed.service_principal(app, TENANT_ID)
        tenant.service_principals.append(sp)
        grant(n, sp)

    for n in range(standalone):
        # every tenth is a partner's app, reported because grant() gives it a role
        partner = n % 10 == 0
        registration = {"appId": seed.new_id(), "displayName": f"{'partner' if partner else 'orphan'}-sp-{n:06d}"}
        sp = seed.service_principal(
            registration,
            PARTNER_TENANT if partner else TENANT_ID,
            secrets=[seed.secret(ago(n % 500), ago(n % 500 - 730))] if n % 4 == 1 else [],
            owners=[users[n % OWNERS]] if n % 3 == 0 else [],
            verified_publisher="Partner Ltd" if partner else None,
        )
        tenant.service_principals.append(sp)
        grant(n, sp)

    for n in range(size - apps - standalone):
        mi = seed.managed_identity(f"mi-{n:06d}", SUBSCRIPTION_ID, user_assigned=n % 2 == 0)
        tenant.service_principals.append(mi)
        grant(n, mi)
    return tenant
