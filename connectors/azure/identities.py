"""One tenant's fetched objects into :class:`Identity` records (pure).

An app registration and its home-tenant service principal are one workload:
they become one ``azure-app`` identity (id = application object id, aliases =
appId and the service principal's object id), carrying the secrets of both,
the service principal's ``accountEnabled``, tags, owners and role
assignments. Separate identities are made for:

- managed identities (``azure-managed-identity``), always;
- home-tenant service principals without an app registration
  (``azure-service-principal``), when the application listing succeeded;
- service principals of other tenants (partners' multi-tenant apps, Microsoft's
  first-party apps) only when they hold a role on a scanned subscription; their
  ``source`` is that subscription's role-assignment unit, since that listing is
  why they are reported. Third-party apps without Azure roles are left to the
  m365 connector.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from partner_nhi.connectors.azure import applications, federated, service_principals
from partner_nhi.connectors.azure.attributes import owner_hints, parse_tags
from partner_nhi.connectors.azure.credentials import (
    JSON,
    federated_credential,
    parse_time,
    secrets_and_certificates,
)
from partner_nhi.connectors.azure.role_assignments import Grant, unit_name
from partner_nhi.connectors.azure.sign_ins import Activity
from partner_nhi.contract import Affiliation, Identity

PROVIDER = "azure"
MANAGED_IDENTITY = "ManagedIdentity"


@dataclass(frozen=True)
class TenantObjects:
    """Everything fetched for one tenant (Graph JSON); ``None`` where a listing failed."""

    tenant_id: str
    now: datetime
    applications: list[JSON] | None
    service_principals: list[JSON] | None
    federated: dict[str, list[JSON]] = field(default_factory=dict)  # by app object id
    activity: Activity = field(default_factory=lambda: Activity(None, None))
    grants: dict[str, list[Grant]] = field(default_factory=dict)  # by principal object id
    microsoft_tenants: frozenset[str] = frozenset()


def build_identities(objects: TenantObjects) -> list[Identity]:
    sps = objects.service_principals or []
    home = objects.tenant_id.lower()
    by_app_id = {str(sp["appId"]).lower(): sp for sp in sps if _owner_tenant(sp) == home}
    result = [
        _application(objects, app, by_app_id.get(str(app["appId"]).lower(), {})) for app in objects.applications or []
    ]
    registered = {str(app["appId"]).lower() for app in objects.applications or []}
    for sp in sps:
        kind = _standalone_kind(objects, sp, registered)
        if kind is not None:
            result.append(_service_principal(objects, sp, kind))
    return result


def _owner_tenant(sp: JSON) -> str:
    return str(sp.get("appOwnerOrganizationId") or "").lower()


def _standalone_kind(objects: TenantObjects, sp: JSON, registered: set[str]) -> str | None:
    if sp.get("servicePrincipalType") == MANAGED_IDENTITY:
        return "azure-managed-identity"
    if _owner_tenant(sp) == objects.tenant_id.lower():
        unregistered = objects.applications is not None and str(sp["appId"]).lower() not in registered
        return "azure-service-principal" if unregistered else None
    return "azure-service-principal" if _grants(objects, sp) else None


def _grants(objects: TenantObjects, sp: JSON) -> list[Grant]:
    return objects.grants.get(str(sp.get("id", "")).lower(), [])


def _roles(grants: list[Grant]) -> dict[str, Any]:
    return {
        "privileged": any(g.privileged for g in grants),
        "permissions": tuple(sorted({g.describe() for g in grants})),
    }


def _application(objects: TenantObjects, app: JSON, sp: JSON) -> Identity:
    """``sp`` is the app's home-tenant service principal, ``{}`` when it has none."""
    app_id = str(app["appId"])
    key_use = objects.activity.key
    credentials = secrets_and_certificates(app, applications.UNIT, objects.now, key_use)
    credentials += secrets_and_certificates(sp, service_principals.UNIT, objects.now, key_use)
    credentials += [federated_credential(row, federated.UNIT) for row in objects.federated.get(str(app["id"]), [])]
    affiliations = [Affiliation(kind="azure-app", value=app_id)]
    if app.get("publisherDomain"):
        affiliations.append(Affiliation(kind="publisher-domain", value=app["publisherDomain"]))
    return Identity(
        id=str(app["id"]),
        provider=PROVIDER,
        kind="azure-app",
        scope=objects.tenant_id,
        name=app.get("displayName") or app_id,
        source=applications.UNIT,
        aliases=tuple(a for a in (app_id, sp.get("id")) if a),
        created=parse_time(app.get("createdDateTime")),
        last_used=objects.activity.app(app_id),
        enabled=sp.get("accountEnabled") is not False,  # a disabled SP cannot sign in here
        tags=parse_tags(app.get("tags"), sp.get("tags")),
        affiliations=tuple(affiliations),
        owner_hints=owner_hints(app.get("owners"), sp.get("owners")),
        credentials=tuple(credentials),
        details=_details(
            app_id=app_id,
            sign_in_audience=app.get("signInAudience"),
            publisher_domain=app.get("publisherDomain"),
            service_principal_id=sp.get("id"),
        ),
        **_roles(_grants(objects, sp)),
    )


def _service_principal(objects: TenantObjects, sp: JSON, kind: str) -> Identity:
    app_id = str(sp["appId"])
    owner_tenant = _owner_tenant(sp)
    microsoft = owner_tenant in {t.lower() for t in objects.microsoft_tenants}
    grants = _grants(objects, sp)
    external = kind != "azure-managed-identity" and owner_tenant != objects.tenant_id.lower() and not microsoft
    affiliations: list[Affiliation] = []
    if kind != "azure-managed-identity":
        # the appId identifies the app (registry azure_app_ids); the party is its tenant
        affiliations.append(Affiliation(kind="azure-app", value=app_id))
        if owner_tenant:
            affiliations.append(Affiliation(kind="azure-tenant", value=owner_tenant, external=external))
    source = service_principals.UNIT
    if owner_tenant != objects.tenant_id.lower() and kind != "azure-managed-identity":
        source = unit_name(grants[0].subscription_id)
    return Identity(
        id=str(sp["id"]),
        provider=PROVIDER,
        kind=kind,
        scope=objects.tenant_id,
        name=sp.get("displayName") or app_id,
        source=source,
        aliases=(app_id,),
        last_used=objects.activity.app(app_id),
        enabled=sp.get("accountEnabled") is not False,
        provider_managed=microsoft and kind != "azure-managed-identity",
        tags=parse_tags(sp.get("tags")),
        affiliations=tuple(affiliations),
        owner_hints=owner_hints(sp.get("owners")),
        credentials=tuple(secrets_and_certificates(sp, service_principals.UNIT, objects.now, objects.activity.key)),
        details=_details(
            app_id=app_id,
            app_owner_tenant=owner_tenant or None,
            service_principal_type=sp.get("servicePrincipalType"),
            verified_publisher=(sp.get("verifiedPublisher") or {}).get("displayName"),
            **_managed_identity(sp.get("alternativeNames")) if kind == "azure-managed-identity" else {},
        ),
        **_roles(grants),
    )


def _managed_identity(alternative_names: Iterable[str] | None) -> dict[str, Any]:
    names = list(alternative_names or [])
    resource = next((n for n in names if n.startswith("/subscriptions/")), None)
    explicit = "isExplicit=True" in names
    return {"managed_identity": "user-assigned" if explicit else "system-assigned", "resource_id": resource}


def _details(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
