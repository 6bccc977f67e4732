"""Which roles make a holder privileged (raise a finding's severity).

Predefined roles are judged by name (their permissions are Google's and fixed):
owner and editor, every IAM administration role, and the roles that let a
principal act as or mint tokens for a service account (a path to every role
that account holds) or rewrite an IAM policy. Custom roles
(``projects/P/roles/R``, ``organizations/N/roles/R``) are judged by the
permissions their definition grants (``GetRole``, read once per run), never by
their name: a role called ``viewer`` that can create service-account keys is
privileged. Privileged permissions are the known escalation paths: minting
keys or tokens for, or acting as, a service account; rewriting an allow policy
(any ``*.setIamPolicy``); widening a custom role; and deploying through a
Google-managed identity that holds more (Deployment Manager, Cloud Build).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.cloud.iam_admin_v1 import GetRoleRequest

from partner_nhi.connectors.gcp.clients import GcpClients
from partner_nhi.connectors.gcp.payload import as_json

PRIVILEGED_ROLES = frozenset(
    {
        "roles/owner",
        "roles/editor",
        "roles/iam.serviceAccountTokenCreator",
        "roles/iam.serviceAccountUser",
        "roles/iam.serviceAccountKeyAdmin",
        "roles/iam.workloadIdentityUser",
        "roles/resourcemanager.projectIamAdmin",
        "roles/resourcemanager.folderAdmin",
        "roles/resourcemanager.folderIamAdmin",
        "roles/resourcemanager.organizationAdmin",
    }
)
PRIVILEGED_PERMISSIONS = frozenset(
    {
        "iam.serviceAccountKeys.create",
        "iam.serviceAccounts.actAs",
        "iam.serviceAccounts.getAccessToken",
        "iam.serviceAccounts.getOpenIdToken",
        "iam.serviceAccounts.implicitDelegation",
        "iam.serviceAccounts.signBlob",
        "iam.serviceAccounts.signJwt",
        "iam.roles.create",
        "iam.roles.update",
        "deploymentmanager.deployments.create",
        "cloudbuild.builds.create",
    }
)
_CUSTOM_PREFIXES = ("projects/", "organizations/")


def is_custom(role: str) -> bool:
    return role.startswith(_CUSTOM_PREFIXES)


def is_privileged(role: str) -> bool:
    """A predefined role: ``roles/iam.*Admin`` (securityAdmin, serviceAccountAdmin, roleAdmin...) or a listed one."""
    if role in PRIVILEGED_ROLES:
        return True
    return role.startswith("roles/iam.") and role.endswith("Admin")


def privileged_permissions(permissions: Iterable[str]) -> list[str]:
    """The permissions of a custom role that make its holder privileged, sorted."""
    return sorted(p for p in set(permissions) if p in PRIVILEGED_PERMISSIONS or p.endswith(".setIamPolicy"))


def custom_roles(policies: Iterable[dict[str, Any]]) -> list[str]:
    """Every custom role bound in these policies (read from the raw bindings: a binding
    without a role is rejected later, by the transform)."""
    roles = {binding.get("role", "") for policy in policies for binding in policy.get("bindings", [])}
    return sorted(role for role in roles if is_custom(role))


def get_role(clients: GcpClients, name: str) -> list[str]:
    """``GetRole``: the permissions a custom role grants (``iam.roles.get``). A deleted or
    DISABLED role grants none to the principals it is bound to."""
    role = clients.iam.get_role(request=GetRoleRequest(name=name), retry=clients.retry, timeout=clients.timeout)
    return granted_permissions(as_json(role))


def granted_permissions(role: dict[str, Any]) -> list[str]:
    """What a role definition (REST JSON) grants its holders."""
    if role.get("deleted") or role.get("stage") == "DISABLED":
        return []
    permissions: list[str] = role.get("includedPermissions", [])
    return permissions
