"""The emulated estate: an Entra tenant and its subscriptions, as plain data.

Objects are stored in the JSON shape Graph and ARM return (camelCase), so the
emulator serves them as they are. Two keys are the emulator's own: an
application's or service principal's ``owners`` is a list of user ids, and an
application's ``federatedIdentityCredentials`` is served only on its own path,
as in Graph. The builder functions below keep test estates short.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

# Built-in role definition ids are the same GUIDs in every tenant.
BUILTIN_ROLES = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
}
MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"


@dataclass
class Subscription:
    id: str
    role_assignments: list[JSON] = field(default_factory=list)
    custom_roles: dict[str, str] = field(default_factory=dict)  # role name -> definition GUID

    def role_definitions(self) -> list[JSON]:
        roles = {**BUILTIN_ROLES, **self.custom_roles}
        return [
            {
                "id": f"/subscriptions/{self.id}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
                "name": guid,
                "type": "Microsoft.Authorization/roleDefinitions",
                "properties": {
                    "roleName": name,
                    "type": "CustomRole" if name in self.custom_roles else "BuiltInRole",
                    "assignableScopes": ["/"],
                    "permissions": [{"actions": ["*"], "notActions": []}],
                },
            }
            for name, guid in roles.items()
        ]


@dataclass
class Tenant:
    """One Entra tenant. ``None`` for a sign-in report means "not licensed" (403)."""

    id: str
    users: list[JSON] = field(default_factory=list)
    applications: list[JSON] = field(default_factory=list)
    service_principals: list[JSON] = field(default_factory=list)
    sign_in_activities: list[JSON] | None = field(default_factory=list)
    credential_sign_in_activities: list[JSON] | None = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    oauth2_permission_grants: list[JSON] = field(default_factory=list)  # delegated grants
    app_role_assignments: list[JSON] = field(default_factory=list)  # app roles granted to principals

    def subscription(self, subscription_id: str) -> Subscription | None:
        return next((s for s in self.subscriptions if s.id == subscription_id), None)


def new_id() -> str:
    return str(uuid.uuid4())


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user(upn: str, mail: str | None = None, display_name: str | None = None) -> JSON:
    return {
        "id": new_id(),
        "displayName": display_name or upn.split("@")[0],
        "userPrincipalName": upn,
        "mail": mail if mail is not None else upn,
    }


def secret(
    start: datetime,
    end: datetime,
    *,
    hint: str = "Xy7",
    display_name: str | None = None,
    secret_text: str | None = None,
) -> JSON:
    """A client secret; ``secret_text`` is kept only to prove it never leaks."""
    return {
        "keyId": new_id(),
        "displayName": display_name,
        "hint": hint,
        "startDateTime": iso(start),
        "endDateTime": iso(end),
        "customKeyIdentifier": None,
        "secretText": secret_text,
    }


def certificate(start: datetime, end: datetime, *, thumbprint: bytes = b"\x01" * 20) -> JSON:
    return {
        "keyId": new_id(),
        "displayName": "CN=partner-nhi-test",
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
        "startDateTime": iso(start),
        "endDateTime": iso(end),
        "customKeyIdentifier": base64.b64encode(thumbprint).decode(),
        "key": None,
    }


def federated(issuer: str, subject: str, name: str = "federation") -> JSON:
    return {
        "id": new_id(),
        "name": name,
        "issuer": issuer,
        "subject": subject,
        "audiences": ["api://AzureADTokenExchange"],
        "description": None,
    }


def application(
    name: str,
    created: datetime,
    *,
    owners: Iterable[JSON] = (),
    secrets: Sequence[JSON] = (),
    certificates: Sequence[JSON] = (),
    federated_credentials: Sequence[JSON] = (),
    tags: Sequence[str] = (),
    publisher_domain: str = "corp.example",
    sign_in_audience: str = "AzureADMyOrg",
) -> JSON:
    return {
        "id": new_id(),
        "appId": new_id(),
        "displayName": name,
        "createdDateTime": iso(created),
        "publisherDomain": publisher_domain,
        "signInAudience": sign_in_audience,
        "tags": list(tags),
        "passwordCredentials": list(secrets),
        "keyCredentials": list(certificates),
        "owners": [o["id"] for o in owners],
        "federatedIdentityCredentials": list(federated_credentials),
    }


def service_principal(
    app: JSON,
    owner_tenant: str,
    *,
    enabled: bool = True,
    tags: Sequence[str] = (),
    owners: Iterable[JSON] = (),
    secrets: Sequence[JSON] = (),
    kind: str = "Application",
    alternative_names: Sequence[str] = (),
    verified_publisher: str | None = None,
) -> JSON:
    """The service principal of ``app`` (an application dict or just its appId/name)."""
    return {
        "id": new_id(),
        "appId": app["appId"],
        "displayName": app["displayName"],
        "appDisplayName": app["displayName"],
        "appOwnerOrganizationId": owner_tenant,
        "servicePrincipalType": kind,
        "accountEnabled": enabled,
        "tags": list(tags),
        "alternativeNames": list(alternative_names),
        "verifiedPublisher": (
            {"displayName": verified_publisher, "verifiedPublisherId": "1234567", "addedDateTime": None}
            if verified_publisher
            else {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}
        ),
        "signInAudience": app.get("signInAudience", "AzureADMultipleOrgs"),
        "passwordCredentials": list(secrets),
        "keyCredentials": [],
        "owners": [o["id"] for o in owners],
    }


def resource_principal(
    app_id: str,
    name: str,
    app_roles: dict[str, str],
    *,
    owner_tenant: str = MICROSOFT_SERVICES_TENANT,
    scopes: Sequence[str] = (),
) -> JSON:
    """An API's service principal: its app roles (value -> id) are what application permissions name."""
    principal = service_principal({"appId": app_id, "displayName": name}, owner_tenant)
    principal["appRoles"] = [
        {
            "allowedMemberTypes": ["Application"],
            "description": f"Allows the app to {value} without a signed-in user.",
            "displayName": value,
            "id": role_id,
            "isEnabled": True,
            "origin": "Application",
            "value": value,
        }
        for value, role_id in app_roles.items()
    ]
    principal["oauth2PermissionScopes"] = [
        {"id": new_id(), "value": scope, "type": "User", "isEnabled": True, "adminConsentDisplayName": scope}
        for scope in scopes
    ]
    return principal


def _graph_key(*guids: str) -> str:
    """Graph's opaque ids of grants: base64url of the object ids they join, unpadded."""
    raw = b"".join(uuid.UUID(g).bytes_le for g in guids)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def delegated_grant(client: JSON, resource: JSON, scope: str, principal: JSON | None = None) -> JSON:
    """An oAuth2PermissionGrant: for every user (``AllPrincipals``) or, given ``principal``, one user."""
    joined = [client["id"], resource["id"], *([principal["id"]] if principal else [])]
    return {
        "id": _graph_key(*joined),
        "clientId": client["id"],
        "consentType": "Principal" if principal else "AllPrincipals",
        "principalId": principal["id"] if principal else None,
        "resourceId": resource["id"],
        "scope": scope,
    }


def app_role_assignment(client: JSON, resource: JSON, role: str, created: datetime) -> JSON:
    """An application permission: ``role`` (an app role value) of ``resource`` granted to ``client``."""
    role_id = next(r["id"] for r in resource.get("appRoles", []) if r["value"] == role)
    return {
        "id": _graph_key(client["id"], new_id()),
        "appRoleId": role_id,
        "createdDateTime": iso(created),
        "deletedDateTime": None,
        "principalDisplayName": client["displayName"],
        "principalId": client["id"],
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource["displayName"],
        "resourceId": resource["id"],
    }


def managed_identity(name: str, subscription_id: str, *, user_assigned: bool = True) -> JSON:
    """A managed identity's service principal (its owning tenant is Microsoft's)."""
    group = "rg-identities"
    if user_assigned:
        resource = (
            f"/subscriptions/{subscription_id}/resourcegroups/{group}/providers/"
            f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
        )
        names = ["isExplicit=True", resource]
    else:
        resource = (
            f"/subscriptions/{subscription_id}/resourceGroups/{group}/providers/"
            f"Microsoft.Compute/virtualMachines/{name}"
        )
        names = ["isExplicit=False", resource]
    app = {"appId": new_id(), "displayName": name}
    return service_principal(app, MICROSOFT_SERVICES_TENANT, kind="ManagedIdentity", alternative_names=names)


def sign_in(app_id: str, at: datetime | None) -> JSON:
    """A servicePrincipalSignInActivity entry; ``at=None`` records no sign-in at all."""
    activity = {"lastSignInDateTime": iso(at), "lastSignInRequestId": new_id() if at else None}
    empty = {"lastSignInDateTime": None, "lastSignInRequestId": None}
    return {
        "id": new_id(),
        "appId": app_id,
        "lastSignInActivity": activity,
        "applicationAuthenticationClientSignInActivity": activity,
        "applicationAuthenticationResourceSignInActivity": empty,
        "delegatedClientSignInActivity": empty,
        "delegatedResourceSignInActivity": empty,
    }


def credential_sign_in(app: JSON, credential: JSON, at: datetime | None) -> JSON:
    """An appCredentialSignInActivity entry for one of ``app``'s credentials."""
    is_secret = "hint" in credential
    return {
        "id": new_id(),
        "keyId": credential["keyId"],
        "keyType": "clientSecret" if is_secret else "certificate",
        "keyUsage": "verify" if is_secret else "sign",
        "appId": app["appId"],
        "appObjectId": app["id"],
        "servicePrincipalObjectId": None,
        "resourceId": "00000003-0000-0000-c000-000000000000",
        "credentialOrigin": "application",
        "expirationDateTime": credential["endDateTime"],
        "createdDateTime": credential["startDateTime"],
        "signInActivity": {"lastSignInDateTime": iso(at), "lastSignInRequestId": None},
    }


def role_assignment(
    subscription: Subscription,
    principal: JSON,
    role: str,
    *,
    scope: str | None = None,
    principal_type: str = "ServicePrincipal",
) -> JSON:
    """An ARM role assignment of ``role`` (a built-in or custom name) to ``principal``."""
    roles = {**BUILTIN_ROLES, **subscription.custom_roles}
    guid = new_id()
    scope = scope or f"/subscriptions/{subscription.id}"
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": (
                f"/subscriptions/{subscription.id}/providers/Microsoft.Authorization/roleDefinitions/{roles[role]}"
            ),
            "principalId": principal["id"],
            "principalType": principal_type,
            "scope": scope,
            "createdOn": "2024-01-01T00:00:00Z",
        },
    }
