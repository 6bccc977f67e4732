"""What each principal can touch: Azure RBAC role assignments per subscription.

One listing of the subscription's role assignments (every scope in it, and
those inherited from above) and one of its role definitions for the names;
two paged calls per subscription, whatever the number of principals.
A principal is privileged when it holds Owner, Contributor or User Access
Administrator on the subscription or above it (management group, root).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from azure.mgmt.authorization import AuthorizationManagementClient

UNIT_PREFIX = "role-assignments/"
PRIVILEGED_ROLES = frozenset({"Owner", "Contributor", "User Access Administrator"})


def unit_name(subscription_id: str) -> str:
    return f"{UNIT_PREFIX}{subscription_id}"


@dataclass(frozen=True)
class Grant:
    """One role one principal holds at one scope."""

    role: str
    scope: str
    subscription_id: str

    @property
    def privileged(self) -> bool:
        return self.role in PRIVILEGED_ROLES and _at_or_above_subscription(self.scope, self.subscription_id)

    def describe(self) -> str:
        return f"{self.role} on {self.scope}"


def _at_or_above_subscription(scope: str, subscription_id: str) -> bool:
    scope = scope.rstrip("/").lower()
    return scope in ("", f"/subscriptions/{subscription_id.lower()}") or scope.startswith(
        "/providers/microsoft.management/managementgroups/"
    )


@dataclass(frozen=True)
class RoleAssignmentRow:
    """The fields of an ARM role assignment this connector reads."""

    principal_id: str
    role_definition_id: str
    scope: str


def grants_by_principal(
    subscription_id: str, assignments: Iterable[RoleAssignmentRow], role_names: dict[str, str]
) -> dict[str, list[Grant]]:
    """Group a subscription's assignments by principal object id, with role names.

    ``role_names`` maps a role definition GUID (lower case) to its name; an
    unknown definition keeps its GUID as the name rather than being dropped.
    """
    grants: dict[str, list[Grant]] = {}
    for row in assignments:
        guid = row.role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
        grant = Grant(role_names.get(guid, guid), row.scope, subscription_id)
        grants.setdefault(row.principal_id.lower(), []).append(grant)
    return grants


def fetch_grants(client: AuthorizationManagementClient, subscription_id: str) -> dict[str, list[Grant]]:
    """List one subscription's role definitions and assignments (azure-core pages them)."""
    role_names = {
        str(d.name).lower(): str(d.role_name)
        for d in client.role_definitions.list(scope=f"/subscriptions/{subscription_id}")
    }
    rows = [
        RoleAssignmentRow(str(a.principal_id), str(a.role_definition_id), str(a.scope))
        for a in client.role_assignments.list_for_subscription()
    ]
    return grants_by_principal(subscription_id, rows, role_names)
