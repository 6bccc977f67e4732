"""What third-party apps may do in the tenant: delegated grants and application permissions.

- **Delegated** (``delegated-grants``): the tenant's ``oauth2PermissionGrants``, listed
  once and filtered here by client (Graph allows ``$filter=clientId eq`` but that is one
  call per app). A grant is ``AllPrincipals`` (an administrator consented for every user)
  or ``Principal`` (one user consented for themselves): the same scope granted by 40
  users is one entitlement, "40 user(s)", carrying the 40 grant ids a revocation deletes.
  ``scope`` is a space-separated string of scope names.
- **Application** (``app-role-assignments``): each app's ``appRoleAssignments``, 20 apps
  per ``$batch``; an assignment names its app role by id only, so each resource's
  ``appRoles`` are read once (again 20 per ``$batch``) and cached for the scan.

Every grant and assignment is read on its own (the engine's ``Units.transform``); levels
come from :mod:`connectors.microsoft.permissions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from partner_nhi.connectors.microsoft.batch import batch_bodies, batch_listings
from partner_nhi.connectors.microsoft.graph import GraphSession
from partner_nhi.connectors.microsoft.paging import list_all
from partner_nhi.connectors.microsoft.permissions import classify_permission
from partner_nhi.connectors.microsoft.times import require
from partner_nhi.contract import Entitlement, EntitlementKind, MalformedRecord, Units

JSON = dict[str, Any]

UNIT_DELEGATED = "delegated-grants"
UNIT_APPLICATION = "app-role-assignments"
GRANTS_PATH = "/v1.0/oauth2PermissionGrants"
ASSIGNMENT_FIELDS = "id,appRoleId,principalId,resourceId,resourceDisplayName,createdDateTime"
RESOURCE_FIELDS = "id,appId,displayName,appRoles"
DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"  # an assignment to the app itself, no specific role
CONSENT_TYPES = frozenset({"AllPrincipals", "Principal"})


async def fetch_delegated_grants(graph: GraphSession) -> list[JSON]:
    """Every delegated grant of the tenant (one paged listing)."""
    return await list_all(graph, lambda: GRANTS_PATH, GRANTS_PATH)


async def fetch_assignments(graph: GraphSession, principal_ids: Sequence[str]) -> dict[str, list[JSON]]:
    """The app role assignments of up to 20 service principals, by principal id."""
    urls = {pid: f"/servicePrincipals/{pid}/appRoleAssignments?$select={ASSIGNMENT_FIELDS}" for pid in principal_ids}
    return await batch_listings(graph, urls)


async def fetch_resources(graph: GraphSession, resource_ids: Sequence[str]) -> dict[str, JSON]:
    """Up to 20 resource service principals with their app roles, by object id."""
    urls = {rid: f"/servicePrincipals/{rid}?$select={RESOURCE_FIELDS}" for rid in resource_ids}
    return await batch_bodies(graph, urls)


@dataclass(frozen=True)
class DelegatedGrant:
    id: str
    client_id: str
    resource_id: str
    all_users: bool
    principal_id: str | None
    scopes: tuple[str, ...]


def delegated_grant(row: JSON) -> DelegatedGrant:
    consent = require(row, "consentType")
    if consent not in CONSENT_TYPES:
        raise MalformedRecord("consentType", f"expected AllPrincipals or Principal, got {consent[:40]!r}")
    return DelegatedGrant(
        id=require(row, "id"),
        client_id=require(row, "clientId").lower(),
        resource_id=require(row, "resourceId").lower(),
        all_users=consent == "AllPrincipals",
        principal_id=None if consent == "AllPrincipals" else require(row, "principalId"),
        scopes=tuple(str(row.get("scope") or "").split()),
    )


def read_delegated_grants(units: Units, rows: Iterable[JSON], clients: set[str]) -> dict[str, list[DelegatedGrant]]:
    """The grants whose client is one of ``clients`` (object ids, lower case), by client."""
    grants = units.transform(
        UNIT_DELEGATED, rows, delegated_grant, lambda row: f"oauth2PermissionGrant {row.get('id')}"
    )
    by_client: dict[str, list[DelegatedGrant]] = {}
    for grant in grants:
        if grant.client_id in clients:
            by_client.setdefault(grant.client_id, []).append(grant)
    return by_client


@dataclass(frozen=True)
class Resource:
    """An API an app holds permissions on: its name, appId (for the classification) and app roles."""

    id: str
    name: str
    app_id: str | None
    roles: dict[str, str] = field(default_factory=dict)  # app role id (lower case) -> value
    roles_read: bool = False  # its app roles were read (a failed $batch chunk leaves them unknown)


def resource_index(principals: Iterable[JSON]) -> dict[str, Resource]:
    """Every service principal of the tenant as a possible resource (names and appIds only)."""
    return {
        str(sp["id"]).lower(): Resource(str(sp["id"]), str(sp.get("displayName") or sp["id"]), sp.get("appId"))
        for sp in principals
        if sp.get("id")
    }


def with_roles(resources: dict[str, Resource], bodies: dict[str, JSON]) -> dict[str, Resource]:
    """The index, each resource read with its app roles carrying them."""
    updated = dict(resources)
    for resource_id, body in bodies.items():
        roles = {
            str(r.get("id")).lower(): str(r.get("value") or r.get("displayName")) for r in body.get("appRoles") or []
        }
        known = resources.get(resource_id.lower())
        updated[resource_id.lower()] = Resource(
            resource_id,
            str(body.get("displayName") or (known.name if known else resource_id)),
            body.get("appId") or (known.app_id if known else None),
            roles,
            roles_read=True,
        )
    return updated


def delegated_entitlements(grants: Sequence[DelegatedGrant], resources: dict[str, Resource]) -> list[Entitlement]:
    """One entitlement per resource and scope: for every user, or the number of users who consented."""
    grouped: dict[tuple[str, str], list[DelegatedGrant]] = {}
    for grant in grants:
        for scope in grant.scopes:
            grouped.setdefault((grant.resource_id, scope), []).append(grant)
    result = []
    for (resource_id, scope), conferring in sorted(grouped.items()):
        resource = resources.get(resource_id) or Resource(resource_id, resource_id, None)
        classification = classify_permission(resource.app_id, scope, EntitlementKind.DELEGATED)
        result.append(
            Entitlement(
                kind=EntitlementKind.DELEGATED,
                resource=resource.name,
                permission=scope,
                level=classification.level,
                classified_by=classification.source,
                all_users=any(g.all_users for g in conferring),
                users=len({g.principal_id for g in conferring if g.principal_id}),
                ids=tuple(dict.fromkeys(g.id for g in conferring)),
                source=UNIT_DELEGATED,
            )
        )
    return result


def application_entitlement(assignment: JSON, resources: dict[str, Resource]) -> Entitlement:
    """One app role assignment, its role named through the resource's app roles."""
    assignment_id, role_id = require(assignment, "id"), require(assignment, "appRoleId").lower()
    resource_id = require(assignment, "resourceId").lower()
    resource = resources.get(resource_id)
    name = assignment.get("resourceDisplayName") or (resource.name if resource else resource_id)
    if role_id == DEFAULT_ACCESS:
        permission = "default access"
    elif resource is not None and role_id in resource.roles:
        permission = resource.roles[role_id]
    elif resource is None or not resource.roles_read:
        raise MalformedRecord("appRoleId", f"{role_id}: the app roles of resource {name} could not be read")
    else:
        raise MalformedRecord("appRoleId", f"{role_id} is not an app role of resource {name}")
    classification = classify_permission(resource.app_id if resource else None, permission, EntitlementKind.APPLICATION)
    return Entitlement(
        kind=EntitlementKind.APPLICATION,
        resource=str(name),
        permission=permission,
        level=classification.level,
        classified_by=classification.source,
        ids=(assignment_id,),
        source=UNIT_APPLICATION,
    )


def application_entitlements(
    units: Units, assignments: Sequence[JSON], resources: dict[str, Resource], owner_label: str
) -> list[Entitlement]:
    return units.transform(
        UNIT_APPLICATION,
        assignments,
        lambda assignment: application_entitlement(assignment, resources),
        lambda assignment: f"{owner_label} appRoleAssignment {assignment.get('id')}",
    )
