"""The synthetic GCP project the benchmark scans on the IAM (gRPC), resource manager
and Policy Analyzer emulators.

Each project of N identities: 80 % service accounts (0-2 user-managed keys, a
tenth also with a system-managed key, one in 25 disabled; key-last-authentication
records for half the user-managed keys) and 20 % external members of the project
IAM policy (users, groups and service accounts of partners, and partner domains),
spread over a few roles next to the project's own accounts and users. Real IAM
policies hold at most 1,500 principals: the external share is larger than a real
project can have, which only makes the policy a bigger response.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from partner_nhi.connectors.gcp.emulator import Estate

PROJECT = "bench-prod"
ORGANIZATION_DOMAIN = "corp.example"
ROLES = ("roles/viewer", "roles/editor", "roles/storage.objectViewer", "roles/bigquery.dataViewer", "roles/owner")


def build_estate(size: int) -> Estate:
    """One project whose scan reports ``size`` identities (see the module docstring for the mix)."""
    from partner_nhi.connectors.gcp.emulator import Account, Binding, Estate, Key, Project, key_id

    now = datetime.now(UTC)

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    project = Project(id=PROJECT)
    members: dict[str, list[str]] = {role: [f"user:admin@{ORGANIZATION_DOMAIN}"] for role in ROLES}
    accounts = int(size * 0.8)
    used = 0  # user-managed keys seeded so far: every other one has a last authentication
    for n in range(accounts):
        name = f"svc-{n:06d}"
        keys = []
        for k in range(n % 3):
            last = ago(used % 200) if used % 2 == 0 else None
            expiry = ago(n % 400 - 365) if n % 4 == 0 else None  # some expire, most never do
            keys.append(Key(key_id(f"{name}/{k}"), ago(n % 800 + 30 * k), expiry, last_authenticated=last))
            used += 1
        if n % 10 == 0:
            keys.append(Key(key_id(f"{name}/system"), ago(n % 30), type="SYSTEM_MANAGED"))
        seen = [key.last_authenticated for key in keys if key.last_authenticated is not None]
        project.accounts.append(
            Account(
                name,
                display_name=f"Service {n}",
                disabled=n % 25 == 0,
                keys=keys,
                last_authenticated=max(seen, default=None),
            )
        )
        if n % 5 == 0:
            members[ROLES[n % len(ROLES)]].append(f"serviceAccount:{name}@{PROJECT}.iam.gserviceaccount.com")
    for n in range(size - accounts):
        partner = f"partner-{n % 50:02d}"
        kind = n % 4
        member = (
            f"user:person-{n:06d}@{partner}.example"
            if kind == 0
            else f"group:team-{n:06d}@{partner}.example"
            if kind == 1
            else f"serviceAccount:agent-{n:06d}@{partner}-ops.iam.gserviceaccount.com"
            if kind == 2
            else f"domain:{partner}-{n:06d}.example"
        )
        members[ROLES[n % len(ROLES)]].append(member)
    project.bindings = [Binding(role, listed) for role, listed in members.items()]
    return Estate(projects=[project])
