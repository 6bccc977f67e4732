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

from msgraph.generated.models.application import Application
from msgraph.generated.models.service_principal import ServicePrincipal

from connectors.azure import applications, federated, service_principals
from connectors.azure.attributes import owner_hints, parse_tags
from connectors.azure.credentials import federated_credential, secrets_and_certificates
from connectors.azure.role_assignments import Grant, unit_name
from connectors.azure.sign_ins import Activity
from scanner.records import Affiliation, Identity

PROVIDER = "azure"
MANAGED_IDENTITY = "ManagedIdentity"


@dataclass(frozen=True)
class TenantObjects:
    """Everything fetched for one tenant; ``None`` where that listing failed."""

    tenant_id: str
    now: datetime
    applications: list[Application] | None
    service_principals: list[ServicePrincipal] | None
    federated: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by app object id
    activity: Activity = field(default_factory=lambda: Activity(None, None))
    grants: dict[str, list[Grant]] = field(default_factory=dict)  # by principal object id
    microsoft_tenants: frozenset[str] = frozenset()


def build_identities(objects: TenantObjects) -> list[Identity]:
    sps = objects.service_principals or []
    home = objects.tenant_id.lower()
    by_app_id = {str(sp.app_id).lower(): sp for sp in sps if _owner_tenant(sp) == home}
    result = [
        _application(objects, app, by_app_id.get(str(app.app_id).lower()))
        for app in objects.applications or []
    ]
    registered = {str(app.app_id).lower() for app in objects.applications or []}
    for sp in sps:
        kind = _standalone_kind(objects, sp, registered)
        if kind is not None:
            result.append(_service_principal(objects, sp, kind))
    return result


def _owner_tenant(sp: ServicePrincipal) -> str:
    return str(sp.app_owner_organization_id or "").lower()


def _standalone_kind(objects: TenantObjects, sp: ServicePrincipal, registered: set[str]) -> str | None:
    if sp.service_principal_type == MANAGED_IDENTITY:
        return "azure-managed-identity"
    if _owner_tenant(sp) == objects.tenant_id.lower():
        unregistered = objects.applications is not None and str(sp.app_id).lower() not in registered
        return "azure-service-principal" if unregistered else None
    return "azure-service-principal" if _grants(objects, sp) else None


def _grants(objects: TenantObjects, sp: ServicePrincipal | None) -> list[Grant]:
    return objects.grants.get(str(sp.id).lower(), []) if sp is not None else []


def _roles(grants: list[Grant]) -> dict[str, Any]:
    return {
        "privileged": any(g.privileged for g in grants),
        "permissions": tuple(sorted({g.describe() for g in grants})),
    }


def _application(objects: TenantObjects, app: Application, sp: ServicePrincipal | None) -> Identity:
    app_id = str(app.app_id)
    credentials = secrets_and_certificates(
        app.password_credentials, app.key_credentials, applications.UNIT, objects.now, objects.activity.key
    )
    if sp is not None:
        credentials += secrets_and_certificates(
            sp.password_credentials, sp.key_credentials, service_principals.UNIT, objects.now,
            objects.activity.key,
        )
    credentials += [
        federated_credential(row, federated.UNIT) for row in objects.federated.get(str(app.id), [])
    ]
    affiliations = [Affiliation(kind="azure-app", value=app_id)]
    if app.publisher_domain:
        affiliations.append(Affiliation(kind="publisher-domain", value=app.publisher_domain))
    return Identity(
        id=str(app.id),
        provider=PROVIDER,
        kind="azure-app",
        scope=objects.tenant_id,
        name=app.display_name or app_id,
        source=applications.UNIT,
        aliases=tuple(a for a in (app_id, str(sp.id) if sp else None) if a),
        created=app.created_date_time,
        last_used=objects.activity.app(app_id),
        enabled=_enabled(sp),
        tags=parse_tags(app.tags, sp.tags if sp else None),
        affiliations=tuple(affiliations),
        owner_hints=owner_hints(app.owners, sp.owners if sp else None),
        credentials=tuple(credentials),
        details=_details(
            app_id=app_id,
            sign_in_audience=app.sign_in_audience,
            publisher_domain=app.publisher_domain,
            service_principal_id=str(sp.id) if sp else None,
        ),
        **_roles(_grants(objects, sp)),
    )


def _service_principal(objects: TenantObjects, sp: ServicePrincipal, kind: str) -> Identity:
    app_id = str(sp.app_id)
    owner_tenant = _owner_tenant(sp)
    microsoft = owner_tenant in {t.lower() for t in objects.microsoft_tenants}
    grants = _grants(objects, sp)
    external = kind != "azure-managed-identity" and owner_tenant != objects.tenant_id.lower() and not microsoft
    affiliations: list[Affiliation] = []
    if kind != "azure-managed-identity":
        affiliations.append(Affiliation(kind="azure-app", value=app_id, external=external))
        if owner_tenant:
            affiliations.append(Affiliation(kind="azure-tenant", value=owner_tenant, external=external))
    source = service_principals.UNIT
    if owner_tenant != objects.tenant_id.lower() and kind != "azure-managed-identity":
        source = unit_name(grants[0].subscription_id)
    return Identity(
        id=str(sp.id),
        provider=PROVIDER,
        kind=kind,
        scope=objects.tenant_id,
        name=sp.display_name or app_id,
        source=source,
        aliases=(app_id,),
        last_used=objects.activity.app(app_id),
        enabled=_enabled(sp),
        provider_managed=microsoft and kind != "azure-managed-identity",
        tags=parse_tags(sp.tags),
        affiliations=tuple(affiliations),
        owner_hints=owner_hints(sp.owners),
        credentials=tuple(
            secrets_and_certificates(
                sp.password_credentials, sp.key_credentials, service_principals.UNIT, objects.now,
                objects.activity.key,
            )
        ),
        details=_details(
            app_id=app_id,
            app_owner_tenant=owner_tenant or None,
            service_principal_type=sp.service_principal_type,
            verified_publisher=sp.verified_publisher.display_name if sp.verified_publisher else None,
            **_managed_identity(sp.alternative_names) if kind == "azure-managed-identity" else {},
        ),
        **_roles(grants),
    )


def _enabled(sp: ServicePrincipal | None) -> bool:
    """A disabled service principal cannot sign in; without one nothing says disabled."""
    return sp is None or sp.account_enabled is not False


def _managed_identity(alternative_names: Iterable[str] | None) -> dict[str, Any]:
    names = list(alternative_names or [])
    resource = next((n for n in names if n.startswith("/subscriptions/")), None)
    explicit = "isExplicit=True" in names
    return {"managed_identity": "user-assigned" if explicit else "system-assigned", "resource_id": resource}


def _details(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
