"""What each principal can touch: Azure RBAC role assignments per subscription.

One listing of the subscription's role assignments (every scope in it, and
those inherited from above) and one of its role definitions for the names;
two paged calls per subscription, whatever the number of principals. Each
assignment is read on its own (the engine's ``Units.transform``): one without a
principal costs that row and makes the subscription's unit partial.
A principal is privileged when it holds Owner, Contributor or User Access
Administrator on the subscription or above it (management group, root).

The ARM SDK is only a type here: a connector that reads no subscription never
imports it (see :mod:`connectors.microsoft.arm`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from partner_nhi.contract import Entitlement, EntitlementKind, EntitlementLevel, MalformedRecord, Units

if TYPE_CHECKING:
    from azure.mgmt.authorization import AuthorizationManagementClient

UNIT_PREFIX = "role-assignments/"
PRIVILEGED_ROLES = frozenset({"Owner", "Contributor", "User Access Administrator"})
ROLE_LEVELS = (
    "https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles: Owner, Contributor and "
    "User Access Administrator at or above a subscription change or grant access to everything in it (high); "
    "any other role reads or acts on resources (medium)"
)


def unit_name(subscription_id: str) -> str:
    return f"{UNIT_PREFIX}{subscription_id}"


@dataclass(frozen=True)
class Grant:
    """One role one principal holds at one scope."""

    role: str
    scope: str
    subscription_id: str
    assignment_id: str = ""  # the ARM id of the role assignment (what a revocation deletes)

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
    assignment_id: str = ""


@dataclass(frozen=True)
class RoleAssignmentListing:
    """One subscription's role assignments as the SDK returned them, and its role names by GUID."""

    assignments: list[Any]  # azure.mgmt.authorization RoleAssignment models
    role_names: dict[str, str]


def assignment_row(assignment: Any) -> RoleAssignmentRow:
    """One SDK role assignment into the fields read; a missing one is a malformed record."""
    values = {}
    for attribute, field in (
        ("principal_id", "principalId"),
        ("role_definition_id", "roleDefinitionId"),
        ("scope", "scope"),
    ):
        value = getattr(assignment, attribute, None)
        if not value:
            raise MalformedRecord(field, "missing")
        values[attribute] = str(value)
    return RoleAssignmentRow(assignment_id=str(getattr(assignment, "id", "") or ""), **values)


def assignment_label(assignment: Any) -> str:
    return f"role assignment {getattr(assignment, 'id', None) or getattr(assignment, 'name', None)}"


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
        grant = Grant(role_names.get(guid, guid), row.scope, subscription_id, row.assignment_id)
        grants.setdefault(row.principal_id.lower(), []).append(grant)
    return grants


def fetch_role_assignments(client: AuthorizationManagementClient, subscription_id: str) -> RoleAssignmentListing:
    """List one subscription's role definitions and assignments (azure-core pages them)."""
    role_names = {
        str(d.name).lower(): str(d.role_name)
        for d in client.role_definitions.list(scope=f"/subscriptions/{subscription_id}")
    }
    return RoleAssignmentListing(list(client.role_assignments.list_for_subscription()), role_names)


def read_grants(units: Units, subscription_id: str, listing: RoleAssignmentListing) -> dict[str, list[Grant]]:
    """The listing's readable assignments, grouped by principal (each row on its own)."""
    rows = units.transform(unit_name(subscription_id), listing.assignments, assignment_row, assignment_label)
    return grants_by_principal(subscription_id, rows, listing.role_names)


def role_entitlements(grants: Iterable[Grant]) -> list[Entitlement]:
    """Role assignments as entitlements: what rules judge and what a revocation deletes, by id."""
    return [
        Entitlement(
            kind=EntitlementKind.ROLE,
            resource=grant.scope,
            permission=grant.role,
            level=EntitlementLevel.HIGH if grant.privileged else EntitlementLevel.MEDIUM,
            classified_by=ROLE_LEVELS,
            ids=(grant.assignment_id,) if grant.assignment_id else (),
            source=unit_name(grant.subscription_id),
        )
        for grant in grants
    ]
